/**
 * Loans ping-ponged over `shm://?spin`: every answer arrives whole; once traffic stops, the
 * spinning readers park (an idle bus uses no CPU: measured as CPU time and event loop utilisation
 * with generous bounds, never as a speed); and close() wakes every waiter of the spinning bus.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bus } from '../../src/bus/bus.js';
import { ClosedError } from '../../src/errors.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';

const peer = script(import.meta.url, './zc-peer.js');
const children = new ChildSet();

test.after.each(() => children.killAll());

test('spin: 300 loan round trips arrive whole, the idle bus then parks (no CPU), close() wakes every waiter', async () => {
  const name = uniqueName('zcspin');
  // 16 slots of 64 KiB; a 2 ms spin window.
  const url = `shm://${name}?pool=1MiB&spin=2000`;
  const hub = await Bus.listen(url);
  try {
    const ponger = children.add(spawnNode(peer, ['ponger', url]));
    let answer: ((m: SampleMessage) => void) | undefined;
    const pongs = hub.subscribe('zc.pong', { zeroCopy: true }).subscribe((m) => answer?.(m as SampleMessage));
    await hub.flush();
    await ponger.waitLine(/^ready$/, 60_000);
    for (let i = 0; i < 300; i++) {
      const back = new Promise<SampleMessage>((resolve) => { answer = resolve; });
      const s = await hub.loan('zc.ping', 65_536, { timeout: 60_000 });
      s.data[0] = i & 255;
      await s.publish();
      const m = await within(60_000, `pong ${i}`, back);
      assert.is(m.data.length, 65_536);
      assert.is(m.data[0], i & 255);
      m.release();
    }
    pongs.unsubscribe();

    // Idle: past the spin window, both readers of this process's connections park.
    await sleep(200);
    const elu0 = performance.eventLoopUtilization();
    const cpu0 = process.cpuUsage();
    await sleep(500);
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(`idle after spin: event loop utilisation ${elu.toFixed(3)}, CPU ${cpuMs.toFixed(1)} ms in 500 ms`);
    assert.ok(elu < 0.2, `idle event loop utilisation ${elu}`);
    assert.ok(cpuMs < 250, `idle CPU ${cpuMs} ms in 500 ms`);

    // Waiters: a zero-copy iterator waiting for a message and a loan waiting for room (one loan
    // holds 11 of the pool's 16 slots). close() must settle both.
    const it = hub.subscribe('zc.none', { zeroCopy: true })[Symbol.asyncIterator]();
    const next = it.next();
    await hub.loan('zc.hold', 700_000, { timeout: 60_000 });
    const waiting = hub.loan('zc.hold', 700_000, { timeout: 60_000 }).then(() => 'loaned', (e: unknown) => e);
    await sleep(50);
    await within(30_000, 'close', hub.close());
    const ended = await within(10_000, 'iterator ends at close', next.then((r) => r.done, () => true));
    assert.ok(ended, 'the iterator ended');
    assert.instance(await within(10_000, 'waiting loan settles at close', waiting), ClosedError);
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing of the hub left in /dev/shm');
});

test.run();
