/**
 * A bench measurement whose client the hub drops (a subscriber stalled past the hub's limits is
 * a slow consumer: ERR, then disconnected) fails at once and says why. Before, the client
 * reconnected, the messages in flight were gone, and both sides waited for counts that never
 * came, until the bench's 90 s watchdog killed them with nothing said. The stall is real: the
 * client process is stopped (SIGSTOP) while the hub sends to it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { script, spawnNode } from '../helpers/processes.js';
import { until, within } from '../helpers/watchdog.js';
import { uniqueName } from '../helpers/run-id.js';

const SIDE = script(import.meta.url, '../../bench/side.js');

/** Live processes of measurement `id` (`side.js parent|child` with that id). */
function sideProcesses(id: string, role = ''): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
    try {
      const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8');
      return cmd.includes(`side.js\0${role}`) && cmd.includes(`"id":"${id}"`) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${n}/stat`, 'utf8'));
    } catch { return false; }
  }).map(Number);
}

/** The pid of the measurement's client, once it is connected (its segment is mapped). */
function connectedChild(id: string): number | undefined {
  return sideProcesses(id, 'child').find((pid) => {
    try { return readFileSync(`/proc/${pid}/maps`, 'utf8').includes('unibus-shm.'); } catch { return false; }
  });
}

test('a client dropped as a slow consumer fails the measurement with the reason', async () => {
  const id = uniqueName('drop');
  // A long sending phase: the stalls below fall inside it whatever the machine's speed.
  const spec = { name: 'shm-h2c', kind: 'bus', id, url: `shm://${id}`, size: 65536, direction: 'h2c', warmupMs: 200, oneWayMs: 30_000, pingWarmupMs: 0, pingMs: 0 };
  const parent = spawnNode(SIDE, ['parent', JSON.stringify(spec)]);
  let stopping = true;
  try {
    const child = await until('the client connected', () => connectedChild(id), 30_000);
    // Stalls of 3 s (under the hub's 5 s HELLO wait) until the measurement ends one way or another.
    void (async () => {
      while (stopping && parent.proc.exitCode === null) {
        try { process.kill(child, 'SIGSTOP'); } catch { return; }
        await new Promise((r) => setTimeout(r, 3000));
        try { process.kill(child, 'SIGCONT'); } catch { return; }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const end = await parent.waitExit(60_000);
    assert.is(end.code, 1, parent.stderr);
    assert.match(parent.stderr, 'the other side ended during the measurement');
    assert.match(parent.stderr, 'Slow consumer');
  } finally {
    stopping = false;
    parent.kill('SIGKILL');
    // Its client too: it holds the parent's stdout, so `exited` waits for it as well.
    for (;;) {
      const left = sideProcesses(id);
      if (left.length === 0) break;
      for (const pid of left) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    await within(10_000, 'the parent side ending', parent.exited);
    // A failed side exits without closing its hub; the bench's sweep (bench/sweep.ts) would
    // remove the announce FIFO. Called directly here, so removed here.
    for (const n of readdirSync('/dev/shm')) if (n.startsWith(`unibus-shm.${id}~`)) rmSync(`/dev/shm/${n}`, { force: true });
  }
});

test.run();
