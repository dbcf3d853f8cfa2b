/**
 * `unibus demo`: the README's main job. A hub on the default transport (a Unix socket in a
 * private temp directory), two sensor processes publishing typed readings, a monitor process
 * subscribing with wildcards and serving requests; the hub prints what flows, asks for
 * averages, and cleans up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus } from '../bus/bus.js';
import { transportFor } from '../transports/registry.js';
import { parse, UsageError } from './args.js';
import type { DemoServices, DemoTopics } from './demo-topics.js';

export const help = `
Usage: unibus demo [--url URL]

Starts a hub (default: a Unix socket in a private temp directory), forks two sensor workers
and a monitor, prints what flows, and cleans up. --url takes any cross-process transport URL
(pipe: too: the hub then starts the workers on their pipes). Exits 1 if a worker fails.`;

const main = fileURLToPath(new URL('./main.js', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' } }, help);
  // The workers are other processes: a transport that cannot reach them is a usage error.
  if (values.url !== undefined && !(await transportFor(values.url)).capabilities.crossProcess) {
    throw new UsageError(`--url must be a cross-process transport; ${values.url} serves only its own process`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'unibus-demo-'));
  const url = values.url ?? `unix://${join(dir, 'demo.sock')}`;
  let hub: Bus<DemoTopics, DemoServices>;
  try {
    hub = await Bus.listen<DemoTopics, DemoServices>(url, { name: 'demo-hub' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  process.stdout.write(`hub      listening ${hub.url}\n`);
  const workers: ChildProcess[] = [];
  // A worker that exits with an error fails the demo instead of leaving it waiting for it.
  let failed: (err: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => { failed = reject; });
  failure.catch(() => undefined);
  try {
    hub.subscribe('sensor.>').subscribe((m) => {
      const v = 'celsius' in m.data ? `${m.data.celsius.toFixed(1)} °C` : `${m.data.percent} %`;
      process.stdout.write(`  hub      ${m.topic.padEnd(22)} ${v}\n`);
    });
    const done = new Set<string>();
    const allDone = new Promise<void>((resolve) => {
      hub.subscribe('demo.done').subscribe((m) => {
        process.stdout.write(`hub      ${m.data.worker} finished after ${m.data.sent} messages\n`);
        done.add(m.data.worker);
        if (done.size === 2) resolve();
      });
    });
    const monitorReady = new Promise<void>((resolve) => hub.subscribe('demo.ready').subscribe(() => resolve()));
    await hub.flush();
    const spawns = (await transportFor(url)).capabilities.spawnsClients;
    const start = (role: string, room: string): void => {
      const args = ['__demo-worker', url, role, room];
      // pipe: workers must be started by the hub, on the pipes it made for them.
      const child = spawns ? hub.spawn(process.execPath, [main, ...args], { stdio: 'inherit' }).child
        : fork(main, args, { stdio: 'inherit' });
      workers.push(child);
      child.once('exit', (code, signal) => {
        if (code !== 0) failed(new Error(`demo ${role} worker (pid ${child.pid}) failed: exit ${code ?? signal}`));
      });
    };
    start('monitor', 'all');
    await Promise.race([monitorReady, failure]);
    start('sensor', 'kitchen');
    start('sensor', 'attic');
    await Promise.race([allDone, failure]);
    for (const room of ['kitchen', 'attic']) {
      const avg = await hub.request('stats.average', { room }, { timeout: 5000 });
      process.stdout.write(`hub      average in ${avg.room}: ${avg.average.toFixed(2)} °C over ${avg.samples} readings\n`);
    }
    const stats = hub.stats();
    process.stdout.write(`hub      ${stats.peers} peers, ${stats.delivered} messages delivered to the hub's own subscriptions\n`);
    await hub.publish('demo.stop', null); // the monitor's cue to leave
    await hub.flush();
  } finally {
    await Promise.all(workers.map((w) => (w.exitCode !== null ? null : new Promise((r) => {
      w.once('exit', r);
      setTimeout(() => w.kill('SIGKILL'), 5000).unref();
    }))));
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write('hub      closed; nothing left behind\n');
  return 0;
}
