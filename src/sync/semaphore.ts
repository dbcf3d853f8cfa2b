/**
 * `Semaphore`: a counting semaphore shared by unrelated processes, on System V semaphores.
 *
 * Guarantees and limits:
 * - Units taken with `acquire` are given back by the kernel when the process dies, even by
 *   SIGKILL (`SEM_UNDO`). `release` undoes that record too, so units a process releases are
 *   not subtracted again at its exit. For signalling (one process releases units another
 *   acquires) open with `undo: false`.
 * - Waiting is a non-blocking `semop(IPC_NOWAIT)` try on a backoff timer (1 ms doubling to
 *   20 ms with jitter): no thread-pool thread is ever parked, so `close()` ends every wait at
 *   once and the process can always exit. There is no fairness: a large `acquire(n)` can be
 *   overtaken by smaller ones.
 * - The set holds two semaphores: #0 is the count, #1 a magic value the creator writes last,
 *   so an opener never uses a set before its initial value is set, and never adopts a foreign
 *   set by mistake. A creator killed before the marker leaves a set that an opener finishes
 *   after `readyTimeout` (the count as the creator set it, or the opener's `initial`). Sets are created 0600; an opener checks that its uid owns the set.
 * - A key made from a path uses `ftok`, which can collide (it keeps only part of the inode
 *   number): give distinct files, or pass an explicit key.
 * - The set stays in the kernel until `remove()` (or `ipcrm -s`): it outlives processes.
 * @module
 */
import { closeSync, constants, openSync } from 'node:fs';
import { ClosedError, PermissionDeniedError, TimeoutError, isSystemError } from '../errors.js';
import {
  IPC_CREAT, IPC_EXCL, IPC_NOWAIT, SEM_UNDO, SEM_VALUE_MAX,
  ftok, semGetPid, semGetValue, semRemove, semSetValue, semStat, semget, semop,
} from '../native/sysv-sem.js';
import { procStat, runs } from '../process/proc-stat.js';
import { WaitSet, type WaitOptions } from './wait-set.js';

export type { WaitOptions };

/** Marks an initialised unibus semaphore set (semaphore #1): "UB". */
const MAGIC = 0x5542;
const COUNT = 0;
const READY = 1;
/** `ftok` project id for semaphores. */
const PROJ_ID = 0x53; // 'S'

/** How `Semaphore.open` finds or creates the set. */
export interface SemaphoreOptions {
  /** Initial count when this call creates the set (default 1). */
  initial?: number;
  /** `true` (default): create when missing; `'exclusive'`: must create; `false`: must exist. */
  create?: boolean | 'exclusive';
  /** Mode of a created set, and of the key file created for a path (default 0o600). */
  mode?: number;
  /** Give units back when this process dies (default true; false for signalling). */
  undo?: boolean;
  /** How long to wait for another creator to finish initialising (ms, default 5000). */
  readyTimeout?: number;
}

/**
 * A counting semaphore shared by processes.
 *
 * @example
 * ```ts
 * await using slots = await Semaphore.open('/tmp/app.sem', { initial: 3 });
 * await slots.acquire(1, { timeout: 10_000 });
 * try { await work(); } finally { slots.release(1); }
 * ```
 */
export class Semaphore implements AsyncDisposable {
  /** The System V key (from the path's `ftok`, or given). */
  readonly key: number;
  /** The kernel id of the set. */
  readonly id: number;
  readonly #flags: number;
  readonly #waits = new WaitSet();
  #held = 0;
  #closed = false;

  private constructor(key: number, id: number, undo: boolean) {
    this.key = key;
    this.id = id;
    this.#flags = undo ? SEM_UNDO : 0;
  }

  /**
   * Opens (and by default creates) the semaphore named by a file path or a numeric key. A path
   * that does not exist is created as an empty 0600 file to carry the key.
   */
  static async open(pathOrKey: string | number, options: SemaphoreOptions = {}): Promise<Semaphore> {
    const initial = options.initial ?? 1;
    if (!Number.isSafeInteger(initial) || initial < 0 || initial > SEM_VALUE_MAX) {
      throw new RangeError(`Initial count must be an integer in 0..${SEM_VALUE_MAX}: initial=${initial}`);
    }
    const create = options.create ?? true;
    const mode = options.mode ?? 0o600;
    const key = typeof pathOrKey === 'number' ? checkKey(pathOrKey) : keyOf(pathOrKey, create !== false, mode);
    const undo = options.undo ?? true;
    if (create !== false) {
      try {
        const id = semget(key, 2, IPC_CREAT | IPC_EXCL | (mode & 0o777));
        semSetValue(id, COUNT, initial);
        semSetValue(id, READY, MAGIC); // written last: openers wait for it
        return new Semaphore(key, id, undo);
      } catch (err) {
        if (!isSystemError(err, 'EEXIST') || create === 'exclusive') throw denied(err, key);
      }
    }
    let id: number;
    try {
      id = semget(key, 0, 0);
    } catch (err) {
      throw denied(err, key);
    }
    const st = semStat(id);
    const uid = process.getuid?.();
    if (st.nsems !== 2 || (uid !== undefined && st.uid !== uid && st.cuid !== uid)) {
      throw new PermissionDeniedError(`semaphore set is not a unibus set owned by uid=${uid}: key=0x${hex(key)} owner=${st.uid} nsems=${st.nsems}`);
    }
    const waits = new WaitSet();
    const readyTimeout = options.readyTimeout ?? 5000;
    await waits.retry(`semaphore key=0x${hex(key)} being initialised`,
      () => (semGetValue(id, READY) === MAGIC ? true : undefined), { timeout: readyTimeout })
      .catch(async (err: unknown) => {
        if (!(err instanceof TimeoutError)) throw err;
        if (await finishAbandoned(id, create === false ? undefined : initial) || semGetValue(id, READY) === MAGIC) return;
        throw new PermissionDeniedError(`semaphore set has no unibus marker: key=0x${hex(key)} (not a unibus set, or its creator is still initialising it)`);
      });
    return new Semaphore(key, id, undo);
  }

  /** The current count (units free now). */
  get value(): number {
    this.#check();
    return semGetValue(this.id, COUNT);
  }

  /** Units this object has acquired and not released. */
  get held(): number {
    return this.#held;
  }

  /** Takes `n` units now if that many are free; never waits. */
  tryAcquire(n = 1): boolean {
    this.#check();
    checkUnits(n);
    if (!semop(this.id, [{ num: COUNT, op: -n, flags: IPC_NOWAIT | this.#flags }])) return false;
    this.#held += n;
    return true;
  }

  /** Waits until `n` units are taken. Rejects with `TimeoutError`, `AbortedError`, `ClosedError`. */
  acquire(n = 1, options: WaitOptions = {}): Promise<void> {
    try {
      this.#check();
      checkUnits(n);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#waits.retry(`acquiring ${n} unit(s) of semaphore key=0x${hex(this.key)}`,
      () => (this.tryAcquire(n) ? true : undefined), { ...options, maxDelay: 20 }).then(() => undefined);
  }

  /** Gives `n` units back (they need not have been acquired through this object). */
  release(n = 1): void {
    this.#check();
    checkUnits(n);
    // IPC_NOWAIT: adding never blocks, but ERANGE past SEM_VALUE_MAX must not wait either.
    semop(this.id, [{ num: COUNT, op: n, flags: IPC_NOWAIT | this.#flags }]);
    this.#held = Math.max(0, this.#held - n);
  }

  /** Gives back the units this object holds and ends every pending wait with `ClosedError`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#waits.cancelAll(new ClosedError(`semaphore key=0x${hex(this.key)}`));
    if (this.#held > 0) {
      try {
        this.release(this.#held);
      } catch {
        // removed meanwhile: nothing to give back
      }
    }
    this.#closed = true;
  }

  /** Removes the set from the kernel (every process's waits then fail), and closes this object. */
  remove(): void {
    this.#waits.cancelAll(new ClosedError(`semaphore key=0x${hex(this.key)}`));
    this.#closed = true;
    this.#held = 0;
    try {
      semRemove(this.id);
    } catch (err) {
      if (!isSystemError(err, 'EINVAL') && !isSystemError(err, 'EIDRM')) throw err;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  #check(): void {
    if (this.#closed) throw new ClosedError(`semaphore key=0x${hex(this.key)}`);
  }
}

/**
 * Finishes a set whose creator was killed between `semget` and writing the marker: without this
 * every opener would refuse it for ever. Only a set that never saw a semop, whose marker is still
 * 0 and whose count was set by no process or by one that is gone. The marker is raised (and the
 * count set to `initial` when the creator never set it; an opener with `create: false` has no
 * initial and leaves such a set alone) in one semop that requires the marker to be 0, so when
 * several openers get here only one of them finishes it.
 */
async function finishAbandoned(id: number, initial: number | undefined): Promise<boolean> {
  if (semStat(id).otime !== 0 || semGetValue(id, READY) !== 0) return false;
  const setter = semGetPid(id, COUNT);
  if (setter !== 0 && runs(await procStat(setter))) return false; // its creator is slow, not dead
  if (setter === 0 && initial === undefined) return false;
  const ops = [{ num: READY, op: 0, flags: IPC_NOWAIT }];
  if (setter === 0 && initial! > 0) ops.push({ num: COUNT, op: 0, flags: IPC_NOWAIT }, { num: COUNT, op: initial!, flags: 0 });
  ops.push({ num: READY, op: MAGIC, flags: 0 });
  return semop(id, ops);
}


function hex(key: number): string {
  return (key >>> 0).toString(16);
}

function checkKey(key: number): number {
  if (!Number.isInteger(key) || key === 0 || key < -0x80000000 || key > 0xffffffff) {
    throw new RangeError(`Semaphore key must be a non-zero 32-bit integer: key=${key}`);
  }
  return key | 0;
}

function checkUnits(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1 || n > SEM_VALUE_MAX) {
    throw new RangeError(`Units must be an integer in 1..${SEM_VALUE_MAX}: n=${n}`);
  }
}

function keyOf(path: string, create: boolean, mode: number): number {
  if (typeof path !== 'string' || path === '') throw new TypeError(`Semaphore path must be a non-empty string: path=${String(path)}`);
  if (create) {
    closeSync(openSync(path, constants.O_RDONLY | constants.O_CREAT | constants.O_NOFOLLOW, mode));
  }
  return ftok(path, PROJ_ID);
}

function denied(err: unknown, key: number): unknown {
  if (isSystemError(err, 'EACCES')) return new PermissionDeniedError(`semaphore key=0x${hex(key)}`, { cause: err });
  return err;
}
