/**
 * A bench ended by SIGTERM or SIGHUP (a `kill`, a `timeout`, a closed terminal) stops the
 * nats-server it started: before, the server stayed running with nobody to stop it. A real
 * bench process, a real nats-server (skipped where there is none).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { natsServerAvailable } from '../helpers/nats-server.js';
import { script, spawnNode } from '../helpers/processes.js';
import { within } from '../helpers/watchdog.js';

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

test.run();
