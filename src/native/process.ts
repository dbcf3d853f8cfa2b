/**
 * Processes: liveness checks and exit notices that libuv watches (a pidfd, readable when the
 * process exits), so waiting for a peer's death parks no thread. A pidfd names one process for
 * good: unlike a pid it cannot be reused by another process after the first one exits.
 *
 * @example
 * ```ts
 * const watcher = watchPid(child.pid!, () => console.log('child gone'));
 * // later, if no longer interested:
 * watcher.close();
 * ```
 * @module
 */
import { native } from './loader.js';
import { runtimeHas } from './runtime.js';
import { Errno, lastErrno } from './errno.js';
import { closeFd } from './fds.js';
import { pollFd, type FdPoll } from './fd-poll.js';
import { systemError } from '../errors.js';

/** x86-64 and aarch64 share the new syscall numbers. */
const SYS_PIDFD_OPEN = 434;

/** How often the fallback (no pidfd: kernels before 5.3) checks liveness. */
const FALLBACK_POLL_MS = 250;

interface ProcessBindings {
  syscall: (nr: number, ...vararg: unknown[]) => number;
  kill: (pid: number, sig: number) => number;
}

let bound: ProcessBindings | undefined;

function libc(): ProcessBindings {
  if (bound) return bound;
  const { libc: lib } = native();
  bound = {
    syscall: lib.func('long syscall(long nr, ...)'),
    kill: lib.func('int kill(int pid, int sig)'),
  } as ProcessBindings;
  return bound;
}

/**
 * `pidfd_open(pid, 0)`: an fd (always close-on-exec) that becomes readable when `pid` exits.
 * Throws ESRCH when no such process exists, ENOSYS on kernels without pidfds.
 */
export function pidfdOpen(pid: number): number {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`pid must be a positive integer: pid=${pid}`);
  const fd = libc().syscall(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0);
  if (fd < 0) throw systemError('pidfd_open', lastErrno());
  return Number(fd);
}

/**
 * True while a process with this pid exists (`kill(pid, 0)`; EPERM means it exists but belongs
 * to someone else). A pid alone can be reused: use it as a hint, never as proof of identity.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`pid must be a positive integer: pid=${pid}`);
  if (libc().kill(pid, 0) === 0) return true;
  const errno = lastErrno();
  if (errno === Errno.EPERM) return true;
  if (errno === Errno.ESRCH) return false;
  throw systemError('kill', errno);
}

/**
 * Handles with a live libuv poll. koffi's poll handle stops silently when garbage-collected, so
 * every active watcher is held here until it fires or is closed (this set holds no config).
 */
const active = new Set<PidWatcher>();

/** Watches one process; calls `onExit` once when it exits. Close it to stop watching. */
export class PidWatcher {
  readonly pid: number;
  #fd = -1;
  #poll: FdPoll | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onExit: (() => void) | undefined;

  constructor(pid: number, onExit: () => void) {
    this.pid = pid;
    this.#onExit = onExit;
    if (!runtimeHas('fd-poll')) {
      // A runtime without libuv polling (Bun): the weaker timer check, as on kernels before 5.3.
      this.#watchByTimer();
      return;
    }
    try {
      this.#fd = pidfdOpen(pid);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ESRCH') {
        // Already gone: report it asynchronously, like every other exit.
        active.add(this);
        this.#timer = setTimeout(() => this.#fire(), 0);
        return;
      }
      if (code !== 'ENOSYS' && code !== 'EPERM') throw err;
      this.#watchByTimer(); // no pidfd on this kernel
      return;
    }
    active.add(this);
    this.#poll = pollFd(this.#fd, { readable: true }, () => this.#fire());
  }

  /** Liveness checked on a timer instead of a pidfd (pid reuse makes this a weaker check). */
  #watchByTimer(): void {
    active.add(this);
    this.#timer = setInterval(() => { if (!isAlive(this.pid)) this.#fire(); }, FALLBACK_POLL_MS);
  }

  /** True until the process exited or the watcher was closed. */
  get watching(): boolean {
    return this.#onExit !== undefined;
  }

  /** Lets the process exit while only this watcher is pending. */
  unref(): this {
    this.#poll?.unref();
    this.#timer?.unref();
    return this;
  }

  /** Keeps the process alive while watching (the default). */
  ref(): this {
    this.#poll?.ref();
    this.#timer?.ref();
    return this;
  }

  /** Stops watching and releases the pidfd and the poll handle. Idempotent; `onExit` never fires after. */
  close(): void {
    this.#onExit = undefined;
    this.#release();
  }

  #fire(): void {
    const onExit = this.#onExit;
    this.#onExit = undefined;
    this.#release();
    onExit?.();
  }

  #release(): void {
    active.delete(this);
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    if (this.#poll) {
      // The poll handle is stopped before its fd is closed, so libuv never watches a stale fd.
      this.#poll.close();
      this.#poll = undefined;
    }
    if (this.#fd >= 0) {
      closeFd(this.#fd);
      this.#fd = -1;
    }
  }
}

/**
 * Calls `onExit` once when process `pid` exits (at once, asynchronously, if it is already gone).
 * The wait is a pidfd watched by libuv: no thread is parked.
 *
 * @example
 * ```ts
 * const w = watchPid(peerPid, () => connection.destroy('peer-gone'));
 * ```
 */
export function watchPid(pid: number, onExit: () => void): PidWatcher {
  return new PidWatcher(pid, onExit);
}

/** Number of watchers still holding a pidfd or timer (for leak tests). */
export function activeWatcherCount(): number {
  return active.size;
}
