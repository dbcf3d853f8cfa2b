/**
 * A worker for the supervisor example (the IPC guide's scenario). Role (argv[2]):
 * - `hanger`: works, then hangs after HANG_AFTER_MS: its thread blocks for good, so it stops
 *   heartbeating and cannot even run a SIGTERM handler; the supervisor kills and restarts it;
 * - `quitter`: works, then exits with code 1 after EXIT_AFTER_MS; the supervisor restarts it
 *   with exponential backoff;
 * - anything else: works until stopped.
 * Heartbeats are automatic: `heartbeat()` beats on the fd the supervisor handed down.
 */
import { heartbeat } from '../../src/process/heartbeat.js';

const role = process.argv[2] ?? 'worker';
const beat = heartbeat();
if (!beat) console.log(`${role}: not supervised, running without heartbeats`);
console.log(`${role}: started pid=${process.pid}`);

let jobs = 0;
const work = setInterval(() => { jobs += 1; }, 100);

process.once('SIGTERM', () => {
  console.log(`${role}: SIGTERM after ${jobs} jobs, shutting down`);
  clearInterval(work);
  beat?.stop();
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
