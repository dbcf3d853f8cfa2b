/**
 * Relaying over shm with lent frames (src/transports/frame-lending.ts, src/bus/hub/lent-forward.ts):
 * a PUB that only passes through the hub is routed from a scratch buffer reused for every
 * frame, so nothing may keep it. Real processes over real rings: a publisher, a subscriber that
 * keeps up and one that stops reading now and then (its ring fills, frames wait in its outbox),
 * while the hub's own subscription comes and goes (those frames take the owned path) and frames
 * larger than a ring record (pieces, never lent) mix with small ones. Every subscriber gets
 * every payload intact, in order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../../src/index.js';
import { script, spawnNode } from '../../helpers/processes.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';
import { checkRelayPayload, relayPayload } from './relay-payload.js';

const relaySub = script(import.meta.url, './relay-sub.js');

test('relayed frames arrive intact and in order at every subscriber, whichever path each took', async () => {
  // 64 KiB rings: records up to 16 KiB, so 20 KB and 70 KB payloads go in pieces.
  const url = `shm://${uniqueName('lent-relay')}?size=64KiB`;
  const hub = await Bus.listen(url);
  const n = 1600;
  const fast = spawnNode(relaySub, [url, 'lent.x', String(n), '0', '0']);
  const slow = spawnNode(relaySub, [url, 'lent.x', String(n), '200', '150']);
  let pub: Bus | undefined;
  try {
    await Promise.all([fast.waitLine(/^ready$/), slow.waitLine(/^ready$/)]);
    pub = await Bus.connect(url);
    const mine: string[] = [];
    let local: { unsubscribe(): void } | undefined;
    let firstLocal = -1;
    for (let i = 0; i < n; i++) {
      if (i === 500) {
        // The hub's own subscription: these frames are delivered owned, not lent.
        firstLocal = -1;
        local = hub.subscribe('lent.x').subscribe((m) => {
          const data = m.data as Uint8Array;
          const at = new DataView(data.buffer, data.byteOffset).getUint32(0, true);
          if (firstLocal < 0) firstLocal = at;
          const why = checkRelayPayload(data, at);
          if (why !== undefined) mine.push(why);
          // Kept past the delivery: a lent view reused by the next frame would change under it.
          setTimeout(() => { const again = checkRelayPayload(data, at); if (again !== undefined) mine.push(`later: ${again}`); }, 5);
        });
        await within(10_000, 'hub flush', hub.flush());
      }
      if (i === 1000) local!.unsubscribe();
      const sent = pub.publish('lent.x', relayPayload(i));
      if (i % 16 === 15) await within(20_000, `publish ${i}`, sent);
    }
    await within(20_000, 'publisher flush', pub.flush());
    const [f, s] = await Promise.all([fast.waitLine(/^done /, 60_000), slow.waitLine(/^done /, 60_000)]);
    assert.is(f, `done ${n} 0`, `fast subscriber (stderr: ${fast.stderr.slice(-300)})`);
    assert.is(s, `done ${n} 0`, `slow subscriber (stderr: ${slow.stderr.slice(-300)})`);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(mine, [], 'the hub\'s own subscription saw every payload intact, then and later');
    assert.ok(firstLocal >= 0, 'the hub\'s own subscription got messages');
    await Promise.all([fast.waitExit(), slow.waitExit()]);
  } finally {
    fast.kill('SIGKILL');
    slow.kill('SIGKILL');
    await pub?.close();
    await hub.close();
  }
});

test.run();
