/**
 * Open-file-description (OFD) record locks through `fcntl`.
 *
 * Why OFD and not classic POSIX locks: a classic lock belongs to the process and is dropped when
 * the process closes ANY descriptor of the file (a library that opens and closes the same file
 * silently unlocks you). An OFD lock belongs to the open file description, so it lives until
 * that description is closed (or the process dies: the kernel drops it, even on SIGKILL).
 * Two descriptions in one process conflict with each other, like two processes do.
 *
 * Only non-blocking calls live here (`F_OFD_SETLK`, `F_OFD_GETLK`): waiting is done by the
 * callers as tries on a backoff timer, so no thread-pool thread is ever parked on a lock.
 *
 * `struct flock` on x86-64 / aarch64 Linux (32 bytes):
 * ```
 *  0      2      4              8              16             24     28     32
 *  +------+------+--------------+--------------+--------------+------+------+
 *  | type | whence| (padding)   | start (i64)  | len (i64)    | pid  | pad  |
 *  +------+------+--------------+--------------+--------------+------+------+
 * ```
 * @module
 */
import { native } from './loader.js';
import { Errno, lastErrno } from './errno.js';
import { systemError } from '../errors.js';

const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;

const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
const SEEK_SET = 0;

/** Layout of `struct flock`, written once. */
const FLOCK = { size: 32, type: 0, whence: 2, start: 8, len: 16, pid: 24 } as const;

/** What a lock excludes: `exclusive` (write lock) or `shared` (read lock). */
export type LockKind = 'exclusive' | 'shared';

/** A byte range: `len` 0 means "from `start` to the end of the file, however far it grows". */
export interface ByteRange {
  readonly start: number;
  readonly len: number;
}

/** A conflicting lock as `F_OFD_GETLK` reports it. */
export interface LockConflict {
  readonly kind: LockKind;
  readonly start: number;
  readonly len: number;
  /** The holder's pid; undefined for OFD locks (the kernel reports -1: they have no owner pid). */
  readonly pid?: number;
}

type Fcntl = (fd: number, cmd: number, arg: Buffer) => number;
let fcntlFn: Fcntl | undefined;

function fcntl(): Fcntl {
  // A fixed-arity prototype for the variadic fcntl: koffi passes the extra
  // argument as the declared type, which is how the x86-64 ABI passes a variadic pointer.
  fcntlFn ??= native().libc.func('int fcntl(int fd, int cmd, void *arg)') as unknown as Fcntl;
  return fcntlFn;
}

function flock(type: number, range: ByteRange): Buffer {
  if (!Number.isSafeInteger(range.start) || range.start < 0) {
    throw new RangeError(`Lock range start must be a non-negative integer: start=${range.start}`);
  }
  if (!Number.isSafeInteger(range.len) || range.len < 0) {
    throw new RangeError(`Lock range len must be a non-negative integer: len=${range.len}`);
  }
  const buf = Buffer.alloc(FLOCK.size);
  buf.writeInt16LE(type, FLOCK.type);
  buf.writeInt16LE(SEEK_SET, FLOCK.whence);
  buf.writeBigInt64LE(BigInt(range.start), FLOCK.start);
  buf.writeBigInt64LE(BigInt(range.len), FLOCK.len);
  // l_pid must be 0 for OFD commands (EINVAL otherwise); Buffer.alloc zeroed it.
  return buf;
}

const WHOLE_FILE: ByteRange = { start: 0, len: 0 };

/**
 * Tries once to take an OFD lock on `fd` (exclusive needs an fd open for writing, shared one
 * open for reading). Returns true when taken (or converted: a shared lock held through the same
 * description becomes exclusive), false when another description holds a conflicting lock.
 * Other failures throw Node-shaped errors.
 */
export function tryLock(fd: number, kind: LockKind, range: ByteRange = WHOLE_FILE, path?: string): boolean {
  const arg = flock(kind === 'exclusive' ? F_WRLCK : F_RDLCK, range);
  if (fcntl()(fd, F_OFD_SETLK, arg) === 0) return true;
  const errno = lastErrno();
  if (errno === Errno.EAGAIN || errno === Errno.EACCES) return false;
  throw systemError('fcntl(F_OFD_SETLK)', errno, path);
}

/** Drops this description's lock on `range` (no effect where it holds none). */
export function unlock(fd: number, range: ByteRange = WHOLE_FILE, path?: string): void {
  const arg = flock(F_UNLCK, range);
  if (fcntl()(fd, F_OFD_SETLK, arg) !== 0) throw systemError('fcntl(F_OFD_SETLK)', lastErrno(), path);
}

/**
 * Asks which lock would stop `fd` from taking `kind` on `range`; null when none would.
 * Locks held through `fd`'s own description never conflict and are not reported.
 */
export function queryLock(fd: number, kind: LockKind, range: ByteRange = WHOLE_FILE, path?: string): LockConflict | null {
  const arg = flock(kind === 'exclusive' ? F_WRLCK : F_RDLCK, range);
  if (fcntl()(fd, F_OFD_GETLK, arg) !== 0) throw systemError('fcntl(F_OFD_GETLK)', lastErrno(), path);
  const type = arg.readInt16LE(FLOCK.type);
  if (type === F_UNLCK) return null;
  const pid = arg.readInt32LE(FLOCK.pid);
  return {
    kind: type === F_WRLCK ? 'exclusive' : 'shared',
    start: Number(arg.readBigInt64LE(FLOCK.start)),
    len: Number(arg.readBigInt64LE(FLOCK.len)),
    ...(pid > 0 ? { pid } : {}),
  };
}
