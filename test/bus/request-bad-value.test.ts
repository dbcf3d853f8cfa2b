/**
 * A request whose value the codec refuses rejects at once with CodecError and leaves nothing
 * behind. Before, the request was registered before its value was encoded: the encode threw,
 * and the orphaned entry's timer later rejected a promise nobody held, an unhandled rejection
 * that ends a Node process by default. Over `unix://` (hub and client bus in this process: the defect is in the requester).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus, CodecError } from '../../src/index.js';
import { tmpDir } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';
import { removeTmp } from '../sync/cleanup.js';
import { mkdirSync } from 'node:fs';

const dir = tmpDir('req-bad-value');
test.after(() => removeTmp(dir));

test('an unencodable request value: CodecError now, no rejection later, the bus serves on', async () => {
  mkdirSync(dir, { recursive: true });
  const url = `unix://${dir}/hub.sock`;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
  process.on('unhandledRejection', onUnhandled);
  const hub = await Bus.listen(url);
  const client = await Bus.connect(url, { reconnect: false });
  try {
    hub.serve('svc.echo', (x) => x);
    await hub.flush();
    await client.flush();
    const err = await client.request('svc.echo', { n: 2n ** 70n }, { timeout: 50 }).then(() => undefined, (e: unknown) => e);
    assert.instance(err, CodecError);
    // A timer set after the request's 50 ms timer fires after it, however loaded the machine.
    await new Promise((r) => setTimeout(r, 300));
    await new Promise((r) => setImmediate(r));
    assert.equal(unhandled.map(String), [], 'nothing may reject later without a listener');
    const answer = await within(20_000, 'the next request is answered', client.request('svc.echo', 'ok'));
    assert.is(answer, 'ok');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await client.close();
    await hub.close();
  }
});

test.run();
