/**
 * The hub liveness lock: a hub proves it is alive by holding an OFD lock on `<path>.lock`
 * beside its objects. The kernel drops the lock when the hub dies (even by SIGKILL), so a stale
 * lock file never blocks a new hub, and a live hub is never taken over: two hubs started at once
 * cannot both win. Only the holder creates or cleans up the objects at `path`.
 *
 * Pids are never trusted alone (they are reused); the pid written inside the file is only
 * information for error messages, since `F_OFD_GETLK` reports no pid for OFD locks.
 * @module
 */
import { closeSync, constants, fstatSync, ftruncateSync, lstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { HubRunningError, PermissionDeniedError, isSystemError } from '../errors.js';
import { queryLock, tryLock } from '../native/locks.js';

const { O_RDWR, O_RDONLY, O_CREAT, O_NOFOLLOW } = constants;

/** Who holds a liveness lock. */
export interface LockHolderInfo {
  /** The holder's pid as it wrote it in the lock file (information only: pids are reused). */
  readonly pid?: number;
}

/**
 * An exclusive, kernel-released lock on `<path>.lock` that marks the owner of `path` as alive.
 *
 * @example
 * ```ts
 * const live = LivenessLock.acquire('/run/app.sock'); // throws HubRunningError if a hub lives
 * try { // ... create /run/app.sock, serve ...
 * } finally { live.release(); }
 * ```
 */
export class LivenessLock implements Disposable {
  /** Path of the lock file (`<path>.lock`). */
  readonly lockPath: string;
  #fd: number;

  private constructor(lockPath: string, fd: number) {
    this.lockPath = lockPath;
    this.#fd = fd;
  }

  /** The lock file that guards `path`. */
  static lockPathFor(path: string): string {
    return `${path}.lock`;
  }

  /**
   * Takes the liveness lock for `path` now, or throws `HubRunningError` (with the holder's pid
   * when known) if a live process holds it. A lock file left by a dead holder is reused after
   * checking that it is a regular file owned by this user.
   */
  static acquire(path: string): LivenessLock {
    const lockPath = LivenessLock.lockPathFor(path);
    for (let attempt = 0; ; attempt += 1) {
      const fd = openLockFile(lockPath, O_RDWR | O_CREAT);
      let keep = false;
      try {
        if (!tryLock(fd, 'exclusive', undefined, lockPath)) {
          const pid = readPid(fd);
          throw new HubRunningError(path, `a live process${pid ? ` pid=${pid}` : ''} holds ${lockPath}`);
        }
        // The previous holder may have unlinked the file between our open and our lock: then we
        // locked an orphan inode and a newcomer could lock the new file too. Check and retry.
        if (!sameFile(fd, lockPath)) {
          if (attempt > 50) throw new HubRunningError(path, `${lockPath} keeps being replaced`);
          continue;
        }
        ftruncateSync(fd, 0);
        const text = Buffer.from(`${process.pid}\n`);
        writeSync(fd, text, 0, text.length, 0);
        keep = true;
        return new LivenessLock(lockPath, fd);
      } finally {
        if (!keep) closeSync(fd);
      }
    }
  }

  /** True when a live process holds the liveness lock of `path`. */
  static isHeld(path: string): boolean {
    return LivenessLock.holder(path) !== null;
  }

  /** The live holder of `path`'s liveness lock, or null when nobody holds it. */
  static holder(path: string): LockHolderInfo | null {
    const lockPath = LivenessLock.lockPathFor(path);
    let fd: number;
    try {
      fd = openLockFile(lockPath, O_RDONLY);
    } catch (err) {
      if (isSystemError(err, 'ENOENT')) return null;
      throw err;
    }
    try {
      const conflict = queryLock(fd, 'exclusive', undefined, lockPath);
      if (conflict === null) return null;
      const pid = conflict.pid ?? readPid(fd);
      return pid ? { pid } : {};
    } finally {
      closeSync(fd);
    }
  }

  /** True until `release()`. */
  get held(): boolean {
    return this.#fd >= 0;
  }

  /** Removes the lock file, then drops the lock (in that order, so nobody locks an orphan). Idempotent. */
  release(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    try {
      if (sameFile(fd, this.lockPath)) unlinkSync(this.lockPath);
    } finally {
      closeSync(fd);
    }
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Opens a lock file 0600 without following symlinks; refuses non-regular or foreign files. */
function openLockFile(lockPath: string, flags: number): number {
  let fd: number;
  try {
    fd = openSync(lockPath, flags | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (isSystemError(err, 'ELOOP')) throw new PermissionDeniedError(`lock file is a symlink: path=${lockPath}`, { cause: err });
    if (isSystemError(err, 'EACCES')) throw new PermissionDeniedError(`cannot open lock file: path=${lockPath}`, { cause: err });
    throw err;
  }
  const st = fstatSync(fd);
  const uid = process.getuid?.();
  if (!st.isFile() || (uid !== undefined && st.uid !== uid)) {
    closeSync(fd);
    throw new PermissionDeniedError(`lock file is not a regular file owned by uid=${uid}: path=${lockPath} owner=${st.uid}`);
  }
  return fd;
}

function sameFile(fd: number, path: string): boolean {
  try {
    const a = fstatSync(fd);
    const b = lstatSync(path);
    return a.ino === b.ino && a.dev === b.dev;
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return false;
    throw err;
  }
}

function readPid(fd: number): number | undefined {
  const buf = Buffer.alloc(32);
  const n = readSync(fd, buf, 0, buf.length, 0);
  const pid = Number.parseInt(buf.subarray(0, n).toString('latin1'), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}
