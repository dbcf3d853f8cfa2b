/**
 * `unibus demo`: the README's main job. A hub on the default transport (a Unix socket in a
 * private temp directory), two sensor processes publishing typed readings, a monitor process
 * subscribing with wildcards and serving requests; the hub prints what flows, asks for
 * averages, and cleans up.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus } from '../bus/bus.js';
import { parse } from './args.js';
import type { DemoServices, DemoTopics } from './demo-topics.js';

export const help = `
Usage: unibus demo [--url URL]

Starts a hub (default: a Unix socket in a private temp directory), forks two sensor workers
and a monitor, prints what flows, and cleans up. --url takes any cross-process transport URL.`;

const main = fileURLToPath(new URL('./main.js', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' } }, help);
  const dir = mkdtempSync(join(tmpdir(), 'unibus-demo-'));
  const url = values.url ?? `unix://${join(dir, 'demo.sock')}`;
  const hub = await Bus.listen<DemoTopics, DemoServices>(url, { name: 'demo-hub' });
  process.stdout.write(`hub      listening ${hub.url}\n`);
  const workers: ReturnType<typeof fork>[] = [];
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
    const start = (role: string, room: string) => {
      const child = fork(main, ['__demo-worker', url, role, room], { stdio: 'inherit' });
      workers.push(child);
      return child;
    };
    const monitor = start('monitor', 'all');
    await monitorReady;
    start('sensor', 'kitchen');
    start('sensor', 'attic');
    await allDone;
    for (const room of ['kitchen', 'attic']) {
      const avg = await hub.request('stats.average', { room }, { timeout: 5000 });
      process.stdout.write(`hub      average in ${avg.room}: ${avg.average.toFixed(2)} °C over ${avg.samples} readings\n`);
    }
    const stats = hub.stats();
    process.stdout.write(`hub      ${stats.peers} peers, ${stats.delivered} messages delivered to the hub's own subscriptions\n`);
    monitor.disconnect();
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
