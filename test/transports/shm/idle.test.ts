/**
 * An idle shm connection uses no CPU: after traffic, a reader polls its ring only for `spin` µs
 * (default DEFAULT_SPIN_MICROS, none), then parks on its doorbell. Measured as the event
 * loop's utilisation (the share of time it is not waiting in epoll), which a loop polling on
 * setImmediate drives to about 1 whatever the machine's load, and a parked one to about 0.
 * A long spin is measured too, so the test can fail.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { shmTransport } from '../../../src/transports/shm/shm-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { ChildSet, script, spawnNode } from '../../helpers/processes.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

const peer = script(import.meta.url, './shm-peer.js');
const children = new ChildSet();
test.after.each(() => children.killAll());

/** Echo traffic, then the event loop utilisation and CPU time of this process while idle. */
async function idleAfterTraffic(query: string): Promise<{ elu: number; cpuMs: number }> {
  const name = uniqueName('idle');
  const url = `shm://${name}${query}`;
  const hub = await shmTransport.listen(url);
  children.add(spawnNode(peer, ['client-echo', url]));
  let conn: Connection | undefined;
  for await (const c of hub) { conn = c; break; }
  const it = conn![Symbol.asyncIterator]();
  for (let i = 0; i < 500; i += 1) {
    await conn!.send(new Uint8Array(64).fill(i & 0xff));
    await within(5000, `echo ${i}`, it.next());
  }
  await sleep(100); // past any grace
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  await sleep(500);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const cpu = process.cpuUsage(cpu0);
  await hub.close();
  return { elu, cpuMs: (cpu.user + cpu.system) / 1000 };
}

test('an idle connection parks: event loop utilisation near 0 after traffic (default options)', async () => {
  const idle = await idleAfterTraffic('');
  console.log(`default: idle event loop utilisation ${idle.elu.toFixed(3)}, CPU ${idle.cpuMs.toFixed(1)} ms in 500 ms`);
  assert.ok(idle.elu < 0.2, `idle utilisation ${idle.elu}`);
});

test('a bounded spin (2 ms) still parks once traffic stops', async () => {
  const idle = await idleAfterTraffic('?spin=2000');
  console.log(`spin=2ms: idle event loop utilisation ${idle.elu.toFixed(3)}, CPU ${idle.cpuMs.toFixed(1)} ms in 500 ms`);
  assert.ok(idle.elu < 0.2, `idle utilisation ${idle.elu}`);
});

test('with spin=1s the reader keeps polling (the measurement can tell)', async () => {
  const busy = await idleAfterTraffic('?spin=1000000');
  console.log(`spin=1s: idle event loop utilisation ${busy.elu.toFixed(3)}, CPU ${busy.cpuMs.toFixed(1)} ms in 500 ms`);
  assert.ok(busy.elu > 0.5, `spinning utilisation ${busy.elu}`);
});

test.run();
