/**
 * Run under a runtime (not by the test runner): closes fd watchers (ReadableWatcher and the pidfd
 * PidWatcher's poll) while their readiness callback is already on its way, many times, then prints
 * `ok <rounds> <late callbacks>`. Deno's libuv emulation queues a poll callback from a helper
 * thread; a handle freed by close() before it runs was a use-after-free (segfault in koffi).
 * Usage: <runtime> poll-close-probe.js <rounds>
 */
import { spawn } from 'node:child_process';
import { closeFd, pipe, writeFd } from '../../src/native/fds.js';
import { watchReadable } from '../../src/native/poll.js';
import { watchPid } from '../../src/native/process.js';

const rounds = Number(process.argv[2] ?? 300);
/** Busy-waits: the readiness is seen and its callback queued while this turn still runs. */
const spin = (ms: number): void => { for (const end = Date.now() + ms; Date.now() < end;); };
let late = 0;

for (let i = 0; i < rounds; i++) {
  const [r, w] = pipe();
  let closed = false;
  const watcher = watchReadable(r, () => { if (closed) late++; });
  await new Promise((res) => setTimeout(res, 1));
  writeFd(w, new Uint8Array([1]));
  spin(3);
  closed = true;
  watcher.close();
  closeFd(r);
  closeFd(w);
  await new Promise((res) => setImmediate(res));
}

// A pidfd that becomes readable (the child exits) while the watcher is being closed.
for (let i = 0; i < Math.ceil(rounds / 10); i++) {
  const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: 'ignore' });
  let closed = false;
  const watcher = watchPid(child.pid!, () => { if (closed) late++; });
  await new Promise((res) => child.once('exit', res));
  spin(3);
  closed = true;
  watcher.close();
  await new Promise((res) => setTimeout(res, 5));
}
// Give any late callback time to arrive (it must not, and must not crash).
await new Promise((res) => setTimeout(res, 300));
console.log(`ok ${rounds} ${late}`);
