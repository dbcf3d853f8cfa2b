/**
 * The child-subreaper role (`prctl(PR_SET_CHILD_SUBREAPER)`) and the reaping that comes with it.
 *
 * A supervisor marks itself a subreaper so that when one of its children dies, the child's own
 * children (still in the child's process group) are re-parented to the supervisor instead of to
 * init: they stay visible and killable as a group, and nothing escapes. Re-parented processes are
 * not libuv's children, so libuv never reaps them; {@link reapZombie} does, one known pid at a
 * time (`waitpid(pid, WNOHANG)`, never `waitpid(-1)`, which could steal the exit status of a child
 * that libuv or `child_process` is waiting for).
 * @module
 */
import { native } from './loader.js';
import { lastError } from './errno.js';

/** prctl options (linux/prctl.h). */
const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;
/** waitpid option (bits/waitflags.h). */
const WNOHANG = 1;

interface Bindings {
  prctl: (option: number, arg2: number | Int32Array, arg3: number, arg4: number, arg5: number) => number;
  waitpid: (pid: number, status: Int32Array, options: number) => number;
}

let bound: Bindings | undefined;

function bindings(): Bindings {
  if (bound) return bound;
  const { libc } = native();
  // prctl is variadic in glibc; a fixed five-argument prototype is the kernel's own ABI and
  // works on x86-64 and arm64 (integer registers either way).
  const prctlInt = libc.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)');
  const prctlPtr = libc.func('int prctl(int, void *, unsigned long, unsigned long, unsigned long)');
  const waitpid = libc.func('int waitpid(int, void *, int)');
  bound = {
    prctl: (option, arg2, arg3, arg4, arg5) =>
      (typeof arg2 === 'number' ? prctlInt(option, arg2, arg3, arg4, arg5) : prctlPtr(option, arg2, arg3, arg4, arg5)) as number,
    waitpid: (pid, status, options) => waitpid(pid, status, options) as number,
  };
  return bound;
}

/**
 * Marks (or unmarks) this process as a child subreaper. Orphaned descendants are then
 * re-parented to it instead of to init. Throws a Node-shaped system error on failure.
 */
export function setChildSubreaper(on = true): void {
  if (bindings().prctl(PR_SET_CHILD_SUBREAPER, on ? 1 : 0, 0, 0, 0) < 0) throw lastError('prctl');
}

/** True when this process is a child subreaper. */
export function isChildSubreaper(): boolean {
  const out = new Int32Array(1);
  if (bindings().prctl(PR_GET_CHILD_SUBREAPER, out, 0, 0, 0) < 0) throw lastError('prctl');
  return out[0] !== 0;
}

/**
 * Reaps `pid` if it is a child of this process that has exited (a zombie); never blocks.
 * Returns true when it was reaped, false when it is still running or not our child (ECHILD).
 * Only call it for pids that libuv does not track (adopted orphans), or you steal their status.
 */
export function reapZombie(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`Invalid pid: pid=${pid}`);
  const status = new Int32Array(1);
  return bindings().waitpid(pid, status, WNOHANG) === pid;
}
