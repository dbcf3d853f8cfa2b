/**
 * The relay scenario both lending transports are tried with (shm's lent-forward, unix's chunk
 * lending): a hub, a publisher, a subscriber process that keeps up and one that stalls now and
 * then (frames wait in its outbox: those take the owned path), while the hub's own subscription
 * comes and goes (owned frames, kept past delivery: a lent buffer read over or reused would
 * change under it). Every subscriber gets every payload intact and in order.
 */
import * as assert from 'uvu/assert';
import { Bus } from '../../../src/index.js';
import { script, spawnNode } from '../../helpers/processes.js';
import { within } from '../../helpers/watchdog.js';
import { checkRelayPayload, relayPayload } from './relay-payload.js';

const relaySub = script(import.meta.url, './relay-sub.js');

/** Runs the scenario over `url` (a hub is listened on it here) and asserts what it must. */
export async function relayScenario(url: string): Promise<void> {
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
        local = hub.subscribe('lent.x').subscribe((m) => {
          const data = m.data as Uint8Array;
          const at = new DataView(data.buffer, data.byteOffset).getUint32(0, true);
          if (firstLocal < 0) firstLocal = at;
          const why = checkRelayPayload(data, at);
          if (why !== undefined) mine.push(why);
          // Kept past the delivery: a lent buffer reused by the next frame would change under it.
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
}
