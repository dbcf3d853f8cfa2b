/** Reassembly limits on a stream transport: a stalled partial frame ends only its connection. */
import { createConnection } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

test('a partial frame that stalls past partialFrameTimeout ends that connection (protocol); others go on', async () => {
  const url = `unix:///tmp/${uniqueName('budget')}.sock`;
  const listener = await unixTransport.listen(url, { partialFrameTimeout: 300 });
  const accepted = listener[Symbol.asyncIterator]();
  try {
    // A raw peer announces 100 bytes, sends 10, then stalls.
    const raw = createConnection({ path: new URL(url).pathname });
    raw.on('error', () => undefined);
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write(Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(10)]));
    const stalled = (await accepted.next()).value as Connection;
    stalled.consume(() => undefined);
    const good = await unixTransport.connect(url);
    const goodServer = (await accepted.next()).value as Connection;
    const got: number[] = [];
    goodServer.consume((f) => got.push(f.length));
    const closed = await within(10_000, 'the stalled connection ends', stalled.closed);
    assert.is(closed.reason, 'protocol');
    assert.match(String(closed.error?.message), /partialFrameTimeout/);
    await good.send(new Uint8Array(5));
    await within(5000, 'the other connection still works', (async () => { while (got.length === 0) await new Promise((r) => setTimeout(r, 10)); })());
    assert.equal(got, [5]);
    raw.destroy();
    await good.close();
  } finally {
    await listener.close();
  }
});

test.run();
