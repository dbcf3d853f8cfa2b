/**
 * Signals a child process started through `node:child_process`, the same way on every runtime.
 *
 * Deno's `ChildProcess.kill()` sends nothing (and returns false) once one signal has been sent
 * to that child: a SIGCONT after a SIGSTOP, or the SIGKILL after an ignored SIGTERM, were lost,
 * which left stopped children behind and hung whoever waited for them. `process.kill(pid)` has
 * no such state; the exit check keeps it from signalling a pid that may have been reused.
 *
 * @example
 * ```ts
 * signalChild(child, 'SIGTERM');
 * setTimeout(() => signalChild(child, 'SIGKILL'), 2000); // reaches it on Deno too
 * ```
 * @module
 */
import type { ChildProcess } from 'node:child_process';

/** Sends `signal` to `child` unless it has exited; returns whether the signal was sent. */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return false;
  try {
    process.kill(child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: it ended and was reaped between the check and the kill
  }
}
