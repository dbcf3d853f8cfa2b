/**
 * `file://`: a publish made while an unnamed client has no hub (its hub said BYE and closed)
 * is not "accepted" until it is in a spool. It used to resolve at once from the reconnect
 * hold in memory, so a process that died before the next hub came lost messages whose
 * `publish()` had resolved (docs/reliability.md: on `file://` accepted = appended).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom, filter } from 'rxjs';
import { Bus } from '../../src/index.js';
import { tmpDir } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';
import { removeTmp } from '../sync/cleanup.js';

const dir = tmpDir('spool-gap');
test.after(() => removeTmp(dir));

test('a publish during a file:// gap resolves only once a new hub\'s spool has it', async () => {
  const url = `file://${dir}/s`;
  const first = await Bus.listen(url);
  const bus = await Bus.connect(url, { reconnect: { maxWait: 60_000 } });
  try {
    await bus.flush();
    const gone = firstValueFrom(bus.events.pipe(filter((e) => e.type === 'disconnected')));
    await first.close();
    await within(20_000, 'the client notices its hub left', gone);
    let settled = false;
    const published = bus.publish('gap.t', 'kept');
    void published.then(() => { settled = true; }, () => { settled = true; });
    // No hub, no spool session: nothing can have taken it. (Settling early is the defect.)
    await new Promise((r) => setTimeout(r, 300));
    assert.not.ok(settled, 'publish() must not resolve while no spool has the message');
    const second = await Bus.listen(url);
    try {
      const got = firstValueFrom(second.subscribe('gap.t'));
      await second.flush();
      await within(30_000, 'the publish resolves once the new hub is there', published);
      const m = await within(20_000, 'the new hub receives it', got);
      assert.is(m.data, 'kept');
    } finally {
      await second.close();
    }
  } finally {
    await bus.close();
  }
});

test.run();
