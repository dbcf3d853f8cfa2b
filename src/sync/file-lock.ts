/**
 * `FileLock`: an exclusive or shared lock on a file or a byte range of it, shared by unrelated
 * processes, built on OFD record locks (see ../native/locks.ts).
 *
 * Guarantees and limits:
 * - The lock belongs to the FileLock's own open file description: closing any other descriptor
 *   of the same file (in this process or a library it uses) never drops it. The kernel drops it
 *   when the process dies, even by SIGKILL.
 * - Locks are advisory: they exclude other lockers, not readers or writers that do not lock.
 * - Waiting is a non-blocking try on a backoff timer (1 ms doubling to 50 ms, with jitter): no
 *   thread-pool thread is ever parked, every wait can be aborted, timed out, or ended by
 *   `close()`. There is no fairness: a waiter may be overtaken by a newcomer.
 * - Two FileLock objects conflict with each other even inside one process; one FileLock object
 *   is also an in-process mutex (a second `acquire()` on it waits for `release()`).
 * - Shared locks need the file readable, exclusive locks need it writable.
 * @module
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { ClosedError, PermissionDeniedError, isSystemError } from '../errors.js';
import { queryLock, tryLock, unlock, type ByteRange, type LockConflict, type LockKind } from '../native/locks.js';
import { WaitSet, type WaitOptions } from './wait-set.js';
import { lockHolders, type LockHolder } from './lock-holders.js';

const { O_RDWR, O_RDONLY, O_CREAT, O_NOFOLLOW } = constants;

export type { LockKind, LockConflict, LockHolder, WaitOptions };

/** How a FileLock opens its file and what it locks. */
export interface FileLockOptions {
  /** `exclusive` (one holder, the default) or `shared` (many holders, no exclusive one). */
  kind?: LockKind;
  /** First byte of the locked range (default 0). */
  start?: number;
  /** Bytes in the range; 0 (the default) means to the end of the file, however far it grows. */
  len?: number;
  /** Create the file when it is missing (default true). */
  create?: boolean;
  /** Mode of a created file (default 0o600). */
  mode?: number;
  /** Follow a symlink at `path` (default false: a symlink is refused). */
  followSymlinks?: boolean;
}

/**
 * A lock on a file (or a byte range) that excludes other processes.
 *
 * @example
 * ```ts
 * await using lock = new FileLock('/tmp/app.lock');
 * await lock.acquire({ timeout: 5000 });
 * // ... only one process at a time runs here ...
 * ```
 */
export class FileLock implements AsyncDisposable, Disposable {
  readonly path: string;
  readonly kind: LockKind;
  readonly range: ByteRange;
  readonly #options: FileLockOptions;
  readonly #waits = new WaitSet();
  #fd = -1;
  #held = false;
  #closed = false;

  constructor(path: string, options: FileLockOptions = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError(`Lock path must be a non-empty string: path=${String(path)}`);
    const kind = options.kind ?? 'exclusive';
    if (kind !== 'exclusive' && kind !== 'shared') throw new TypeError(`Lock kind must be exclusive or shared: kind=${String(kind)}`);
    this.path = path;
    this.kind = kind;
    this.range = { start: options.start ?? 0, len: options.len ?? 0 };
    for (const [name, v] of Object.entries(this.range)) {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`Lock range ${name} must be a non-negative integer: ${name}=${v}`);
    }
    this.#options = options;
  }

  /** True while this object holds the lock. */
  get held(): boolean {
    return this.#held;
  }

  /** Takes the lock now if nobody conflicting holds it; never waits. */
  tryAcquire(): boolean {
    if (this.#closed) throw new ClosedError(`file lock ${this.path}`);
    if (this.#held) return false;
    if (!tryLock(this.#open(), this.kind, this.range, this.path)) return false;
    this.#held = true;
    return true;
  }

  /**
   * Waits until the lock is taken. Rejects with `TimeoutError`, `AbortedError`, or `ClosedError`
   * when `close()` is called meanwhile.
   */
  acquire(options: WaitOptions = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new ClosedError(`file lock ${this.path}`));
    return this.#waits.retry(`acquiring ${this.kind} lock on ${this.path}`,
      () => (this.tryAcquire() ? true : undefined), options).then(() => undefined);
  }

  /** Drops the lock (no effect when not held). The file stays open for the next acquire. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    unlock(this.#fd, this.range, this.path);
  }

  /**
   * Which lock stops this one now (kind and range; the kernel gives no pid for OFD locks, see
   * `holders()`), or null when the lock is free for us or held by this object.
   */
  conflict(): LockConflict | null {
    if (this.#closed) throw new ClosedError(`file lock ${this.path}`);
    return queryLock(this.#open(), this.kind, this.range, this.path);
  }

  /** Every process holding a lock on this file, with pids (a diagnostic scan of /proc). */
  holders(): Promise<LockHolder[]> {
    return lockHolders(this.path);
  }

  /** Releases the lock, closes the file and rejects pending waits with `ClosedError`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waits.cancelAll(new ClosedError(`file lock ${this.path}`));
    this.#held = false;
    // Closing the description drops its locks.
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #open(): number {
    if (this.#fd >= 0) return this.#fd;
    const o = this.#options;
    const flags = (this.kind === 'exclusive' ? O_RDWR : O_RDONLY)
      | (o.create === false ? 0 : O_CREAT) | (o.followSymlinks ? 0 : O_NOFOLLOW);
    let fd: number;
    try {
      fd = openSync(this.path, flags, o.mode ?? 0o600); // node:fs opens are O_CLOEXEC
    } catch (err) {
      if (isSystemError(err, 'ELOOP')) throw new PermissionDeniedError(`lock file is a symlink: path=${this.path}`, { cause: err });
      if (isSystemError(err, 'EACCES')) throw new PermissionDeniedError(`cannot open lock file: path=${this.path}`, { cause: err });
      throw err;
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new TypeError(`Lock path must be a regular file: path=${this.path}`);
    }
    this.#fd = fd;
    return fd;
  }
}

/**
 * Runs `fn` while holding a lock on `path`, then releases it (also when `fn` throws).
 *
 * @example
 * ```ts
 * const n = await withLock('/tmp/counter.lock', async () => bump('/tmp/counter'), { timeout: 2000 });
 * ```
 */
export async function withLock<T>(path: string, fn: (lock: FileLock) => T | Promise<T>,
  options: FileLockOptions & WaitOptions = {}): Promise<T> {
  const lock = new FileLock(path, options);
  try {
    await lock.acquire(options);
    return await fn(lock);
  } finally {
    lock.close();
  }
}
