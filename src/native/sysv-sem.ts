/**
 * System V semaphores: `ftok`, `semget`, `semop`, `semctl`.
 *
 * Only non-blocking operations live here (`semop` with IPC_NOWAIT): callers wait by tries on a
 * backoff timer, so no thread-pool thread is ever parked on a semaphore (a parked `semop`
 * would also make `process.exit()` hang until it returns).
 *
 * `struct sembuf` (6 bytes): u16 sem_num @0, i16 sem_op @2, i16 sem_flg @4.
 *
 * `struct semid_ds` on x86-64 glibc (104 bytes), the fields read here:
 * ```
 *  0    4     8     12    16    20     24          48         64         80
 *  +----+-----+-----+-----+-----+------+-- ... ----+----------+-- ... ---+-----------+
 *  |key | uid | gid | cuid| cgid| mode | seq, res  | sem_otime| sem_ctime| sem_nsems |
 *  +----+-----+-----+-----+-----+------+-- ... ----+----------+-- ... ---+-----------+
 * ```
 * @module
 */
import { native } from './loader.js';
import { Errno, lastErrno } from './errno.js';
import { systemError } from '../errors.js';

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
export const SEM_UNDO = 0x1000;
/** Largest value of one semaphore (SEMVMX). */
export const SEM_VALUE_MAX = 32767;

const IPC_RMID = 0;
const IPC_STAT = 2;
const GETPID = 11;
const GETVAL = 12;
const SETVAL = 16;

const SEMBUF = { size: 6, num: 0, op: 2, flg: 4 } as const;
const SEMID_DS = { size: 128, uid: 4, cuid: 12, mode: 20, otime: 48, nsems: 80 } as const;

/** What `IPC_STAT` tells about a semaphore set. */
export interface SemStat {
  readonly uid: number;
  readonly cuid: number;
  /** Permission bits (e.g. 0o600). */
  readonly mode: number;
  readonly nsems: number;
  /** Time of the last semop, seconds since the epoch (0: never). */
  readonly otime: number;
}

/** One operation of a `semop` call. */
export interface SemOp {
  readonly num: number;
  readonly op: number;
  readonly flags: number;
}

interface Bindings {
  ftok: (path: string, projId: number) => number;
  semget: (key: number, nsems: number, flags: number) => number;
  semop: (id: number, sops: Buffer, nsops: number) => number;
  semctlInt: (id: number, num: number, cmd: number, arg: number) => number;
  semctlPtr: (id: number, num: number, cmd: number, arg: Buffer) => number;
}
let cached: Bindings | undefined;

function b(): Bindings {
  if (cached) return cached;
  const { libc } = native();
  // semctl is variadic; fixed-arity prototypes for the int and pointer forms work on x86-64.
  cached = {
    ftok: libc.func('int ftok(const char *path, int proj_id)') as unknown as Bindings['ftok'],
    semget: libc.func('int semget(int key, int nsems, int semflg)') as unknown as Bindings['semget'],
    semop: libc.func('int semop(int semid, void *sops, size_t nsops)') as unknown as Bindings['semop'],
    semctlInt: libc.func('int semctl(int semid, int semnum, int cmd, int arg)') as unknown as Bindings['semctlInt'],
    semctlPtr: libc.func('int semctl(int semid, int semnum, int cmd, void *arg)') as unknown as Bindings['semctlPtr'],
  };
  return cached;
}

/** The System V key of an existing file (`proj_id` 1..255). */
export function ftok(path: string, projId: number): number {
  const key = b().ftok(path, projId);
  if (key === -1) throw systemError('ftok', lastErrno(), path);
  return key;
}

/** `semget`; returns the id. Errors keep Node's shape (EEXIST, ENOENT, EACCES, ...). */
export function semget(key: number, nsems: number, flags: number): number {
  const id = b().semget(key, nsems, flags);
  if (id < 0) throw systemError('semget', lastErrno(), `key=0x${(key >>> 0).toString(16)}`);
  return id;
}

/**
 * Applies `ops` atomically. With IPC_NOWAIT in the flags, returns false instead of waiting when
 * the operation would block (EAGAIN). Throws on other failures (EIDRM/EINVAL: set removed).
 */
export function semop(id: number, ops: readonly SemOp[]): boolean {
  const buf = Buffer.alloc(SEMBUF.size * ops.length);
  ops.forEach((o, i) => {
    const at = i * SEMBUF.size;
    buf.writeUInt16LE(o.num, at + SEMBUF.num);
    buf.writeInt16LE(o.op, at + SEMBUF.op);
    buf.writeInt16LE(o.flags, at + SEMBUF.flg);
  });
  if (b().semop(id, buf, ops.length) === 0) return true;
  const errno = lastErrno();
  if (errno === Errno.EAGAIN) return false;
  throw systemError('semop', errno);
}

/** The value of semaphore `num` of set `id`. */
export function semGetValue(id: number, num: number): number {
  const v = b().semctlInt(id, num, GETVAL, 0);
  if (v < 0) throw systemError('semctl(GETVAL)', lastErrno());
  return v;
}

/** The pid of the last process that changed semaphore `num` (semop or SETVAL); 0 if none has. */
export function semGetPid(id: number, num: number): number {
  const v = b().semctlInt(id, num, GETPID, 0);
  if (v < 0) throw systemError('semctl(GETPID)', lastErrno());
  return v;
}

/** Sets the value of semaphore `num` (clears every process's undo entry for it). */
export function semSetValue(id: number, num: number, value: number): void {
  if (b().semctlInt(id, num, SETVAL, value) < 0) throw systemError('semctl(SETVAL)', lastErrno());
}

/** Removes the set: every waiter gets EIDRM. */
export function semRemove(id: number): void {
  if (b().semctlInt(id, 0, IPC_RMID, 0) < 0) throw systemError('semctl(IPC_RMID)', lastErrno());
}

/** Owner, mode and size of the set. */
export function semStat(id: number): SemStat {
  const buf = Buffer.alloc(SEMID_DS.size);
  if (b().semctlPtr(id, 0, IPC_STAT, buf) < 0) throw systemError('semctl(IPC_STAT)', lastErrno());
  return {
    uid: buf.readUInt32LE(SEMID_DS.uid),
    cuid: buf.readUInt32LE(SEMID_DS.cuid),
    mode: buf.readUInt16LE(SEMID_DS.mode) & 0o777,
    nsems: Number(buf.readBigUInt64LE(SEMID_DS.nsems)),
    otime: Number(buf.readBigInt64LE(SEMID_DS.otime)),
  };
}
