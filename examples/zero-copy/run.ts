/**
 * The zero-copy example in one command: a hub on `shm://`, one producer that fills 1080p RGB
 * frames in shared memory, two consumers that read them in place. Each prints frames/s and how
 * many pixel bytes were copied on the way (none).
 * Run: node dist/examples/zero-copy/run.js [frames]   (default 300)
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/index.js';

const frames = Number(process.argv[2] ?? 300);
const url = process.env.UNIBUS_URL ?? `shm://unibus-zero-copy-${process.pid}?pool=64MiB`;
const hub = await Bus.listen(url);
console.log(`hub listening on ${url}`);

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const start = (file: string, args: string[]): Promise<number> => new Promise((resolve) => {
  const child = fork(here(file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  child.on('exit', (code) => resolve(code ?? 1));
  child.on('message', (m) => { if (m === 'ready') ready(); });
});
let readyCount = 0;
let ready = (): void => undefined;
const consumersReady = new Promise<void>((resolve) => { ready = () => { if (++readyCount === 2) resolve(); }; });

const consumers = [start('./consumer.js', [url, 'A', String(frames)]), start('./consumer.js', [url, 'B', String(frames)])];
await consumersReady;
const producer = start('./producer.js', [url, String(frames)]);
const codes = await Promise.all([producer, ...consumers]);
await hub.close();
console.log(`done: exit codes ${codes.join(', ')}`);
process.exitCode = codes.some((c) => c !== 0) ? 1 : 0;
