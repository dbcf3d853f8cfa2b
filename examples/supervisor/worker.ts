/**
 * A worker for the supervisor example (the IPC guide's scenario). Role (argv[2]):
 * - `hanger`: works, then hangs after HANG_AFTER_MS: its thread blocks for good, so it stops
 *   heartbeating and cannot even run a SIGTERM handler; the supervisor kills and restarts it;
 * - `quitter`: works, then exits with code 1 after EXIT_AFTER_MS; the supervisor restarts it
 *   with exponential backoff;
 * - `watcher`: prints the supervisor's lifecycle events it receives on the bus;
 * - anything else: works until stopped.
 * Heartbeats are automatic: `heartbeat()` beats on the fd the supervisor handed down. Every
 * worker is on the supervisor's bus (`Bus.connect()`: `UNIBUS_URL=pipe:`, its own pipe pair) and
 * publishes its progress on `work.<role>.jobs`.
 */
import { Bus } from '../../src/bus/bus.js';
import { heartbeat } from '../../src/process/heartbeat.js';

const role = process.argv[2] ?? 'worker';
const beat = heartbeat();
const bus = process.env.UNIBUS_URL ? await Bus.connect() : undefined;
if (role === 'watcher' && bus) {
  bus.subscribe('$sys.supervisor.>').subscribe(({ data }) => {
    const e = data as { type: string; child?: string };
    if (e.type !== 'heartbeat-missed') console.log(`watcher: ${e.child ?? '-'} ${e.type}`);
  });
  await bus.flush();
}
if (!beat) console.log(`${role}: not supervised, running without heartbeats`);
console.log(`${role}: started pid=${process.pid}`);

let jobs = 0;
const work = setInterval(() => {
  jobs += 1;
  if (jobs % 10 === 0) bus?.publish(`work.${role}.jobs`, { pid: process.pid, jobs }).catch(() => undefined);
}, 100);

process.once('SIGTERM', () => {
  console.log(`${role}: SIGTERM after ${jobs} jobs, shutting down`);
  clearInterval(work);
  beat?.stop();
  void bus?.close();
});

if (role === 'hanger') {
  setTimeout(() => {
    console.log(`${role}: hanging now`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks this thread forever
  }, Number(process.env.HANG_AFTER_MS ?? 3000));
}
if (role === 'quitter') {
  setTimeout(() => {
    console.log(`${role}: exiting with code 1`);
    process.exit(1);
  }, Number(process.env.EXIT_AFTER_MS ?? 2000));
}
