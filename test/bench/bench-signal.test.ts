/**
 * A bench ended by SIGTERM or SIGHUP (a `kill`, a `timeout`, a closed terminal) stops the
 * nats-server it started: before, the server stayed running with nobody to stop it. And it
 * stops the measurement under way and sweeps what its hub made: before, a sysvmq hub's queues
 * stayed in the kernel with its key file. A real bench process, a real nats-server (skipped
 * where there is none), real System V queues.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { natsServerAvailable } from '../helpers/nats-server.js';
import { script, spawnNode } from '../helpers/processes.js';
import { within, until } from '../helpers/watchdog.js';
import { tmpdir } from 'node:os';
import { sysvmqLeftovers } from '../../src/cli/doctor/leftovers.js';

const RUN = script(import.meta.url, '../../bench/run.js');

/** Live (not zombie) children of `parent` named `comm`, from /proc. */
function childrenNamed(parent: number, comm: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [, command, rest] = /^\d+ \((.*)\) (.*)$/.exec(stat.trim())!;
      const [state, ppid] = rest!.split(' ');
      if (command === comm && Number(ppid) === parent && state !== 'Z') found.push(Number(name));
    } catch { /* gone meanwhile */ }
  }
  return found;
}

/** Processes of a measurement of bench `pid` (side.js gets the measurement id `<pid>-<n>`), of one role if given. */
function sideProcesses(pid: number, role = ''): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).filter((n) => {
    try {
      const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8');
      return cmd.includes(`side.js\0${role}`) && cmd.includes(`"id":"${pid}-`) && alive(Number(n));
    } catch { return false; }
  }).map(Number);
}

/** CPU time (user + system, clock ticks) of `pid`, 0 when it is gone. */
function cpuTicks(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch { return 0; }
}

const alive = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch { return false; }
};

for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  test(`a bench ended by ${signal} leaves no nats-server running`, async () => {
    if (!natsServerAvailable()) {
      console.log('skipped: no nats-server on PATH');
      return;
    }
    const bench = spawnNode(RUN, ['--only', 'relay-nats', '--sizes', '64', '--runs', '3', '--no-ping', '--chart', '']);
    try {
      let servers: number[] = [];
      await within(60_000, 'the bench starts its nats-server', (async () => {
        while ((servers = childrenNamed(bench.pid, 'nats-server')).length === 0) await new Promise((r) => setTimeout(r, 50));
      })());
      assert.is(servers.length, 1, 'the bench started one nats-server');
      // The first measurement's progress line (stderr): the server is up and known by then.
      await within(60_000, 'the first measurement starts', (async () => {
        while (!bench.stderr.includes('[1/')) await new Promise((r) => setTimeout(r, 50));
      })());
      process.kill(bench.pid, signal);
      await bench.waitExit(30_000);
      await within(20_000, 'the nats-server ends', (async () => {
        while (alive(servers[0]!)) await new Promise((r) => setTimeout(r, 50));
      })());
    } finally {
      bench.kill('SIGKILL');
      for (const pid of childrenNamed(1, 'nats-server')) {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('unibus-bench')) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }
  });
}

test('a bench ended by SIGTERM during a sysvmq measurement leaves no queues, key files or processes', async () => {
  const bench = spawnNode(RUN, ['--only', 'sysvmq-h2c', '--sizes', '1m', '--runs', '3', '--no-ping', '--chart', '']);
  const ours = `unibus-bench-${bench.pid}-`;
  const files = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(ours));
  try {
    // A key file exists while a sysvmq hub of this bench is up, and a client that has used 0.35 s
    // of CPU is past connecting (a client killed while connecting can leave its private queue:
    // nobody knows of it yet) and receiving: the measurement is under way.
    await until('a sysvmq measurement of the bench is receiving', () => files().some((n) => n.endsWith('.key'))
      && sideProcesses(bench.pid, 'child').some((pid) => cpuTicks(pid) >= 35), 120_000, 5);
    process.kill(bench.pid, 'SIGTERM');
    const end = await bench.waitExit(30_000);
    assert.is(end.code, 143, 'the bench exits as SIGTERM would have ended it');
    assert.equal(files(), [], 'no key file, lock or socket of the bench left');
    assert.equal(sysvmqLeftovers(ours).filter((f) => f.level !== 'ok').map((f) => f.what), [], 'no queue of a dead bench hub left');
    assert.equal(sideProcesses(bench.pid), [], 'no side process of the bench left');
  } finally {
    bench.kill('SIGKILL');
  }
});

test.run();
