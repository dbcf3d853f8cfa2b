/**
 * Quick start: one program, every transport. The hub serves UNIBUS_URL, a subscriber and a
 * publisher run as separate processes, and nothing here names a transport: change the URL and
 * the same code runs over a Unix socket, pipes, FIFOs, System V queues, shared memory or NATS.
 *
 *   UNIBUS_URL=shm://quickstart node dist/examples/quickstart/main.js
 *   UNIBUS_URL=shm://quickstart deno run -A dist/examples/quickstart/main.js   (or bun)
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bus, transportFor } from '../../src/index.js';
import type { Topics } from './topics.js';

const url = process.env.UNIBUS_URL ?? `unix:///tmp/unibus-quickstart-${process.pid}.sock`;
// Workers run in this program's runtime: Node and Bun take the script, Deno `run -A` first.
const worker = (name: string) => [...('Deno' in globalThis ? ['run', '-A'] : []),
  fileURLToPath(new URL(`./${name}.js`, import.meta.url))];

const hub = await Bus.listen<Topics>(url);
const acks = new Promise<void>((resolve) => {
  let n = 0;
  hub.subscribe('acks').subscribe((m) => {
    console.log(`hub: ${m.data.from} got "${m.data.text}"`);
    if (++n === 3) resolve();
  });
});
const ready = new Promise<void>((resolve) => hub.subscribe('control.ready').subscribe(() => resolve()));
await hub.flush();

// A transport that starts its own clients (pipe:) hands them their pipes; the others only need the URL.
const { capabilities } = await transportFor(url).catch(() => ({ capabilities: { spawnsClients: false } }));
const start = (name: string) => (capabilities.spawnsClients
  ? hub.spawn(process.execPath, worker(name)).exited
  : new Promise((resolve) => spawn(process.execPath, worker(name), { stdio: 'inherit', env: { ...process.env, UNIBUS_URL: hub.url } })
    .once('exit', resolve)));

const subscriber = start('subscriber');
// A worker that dies early ends the demo with its exit code, instead of a wait forever.
const died = (name: string, exited: Promise<unknown>) => exited.then((code) => {
  throw new Error(`${name} exited (${String(code)}) before its part was done`);
});
await Promise.race([ready, died('subscriber', subscriber)]);
const publisher = start('publisher');
await Promise.race([acks, died('subscriber', subscriber)]);
await hub.publish('control.bye', null);
console.log(`hub: publisher exited ${String(await publisher)}, subscriber exited ${String(await subscriber)}`);
await hub.close();
