/**
 * System V shared memory (`shmget` / `shmat` / `shmctl`): the API the guide teaches. A segment
 * is made with IPC_PRIVATE (no key to collide on) and handed over by id; once both sides have
 * attached, `IPC_RMID` marks it for removal, so the kernel frees it when the last process
 * detaches, even after a crash. Attachments are released like POSIX mappings (see
 * {@link MappedRegion.release}: never a SIGSEGV on a stray view).
 *
 * @example
 * ```ts
 * const id = sysvCreate(1 << 20);
 * const region = sysvAttach(id);   // the peer attaches too, then:
 * sysvRemove(id);
 * region.release();
 * ```
 * @module
 */
import { native } from './loader.js';
import { lastError, lastErrno, Errno } from './errno.js';
import { MappedRegion } from './mmap.js';

const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000;
const IPC_EXCL = 0o2000;
const IPC_RMID = 0;
const IPC_STAT = 2;

/**
 * `struct shmid_ds` on x86-64 / aarch64 glibc (112 bytes): `struct ipc_perm` (key i32 @0,
 * uid u32 @4, gid u32 @8, cuid u32 @12, cgid u32 @16, mode u16 @20, seq u16 @24), then
 * shm_segsz u64 @48, atime @56, dtime @64, ctime @72, cpid i32 @80, lpid i32 @84, nattch u64 @88.
 */
const SHMID_DS = { size: 112, uid: 4, mode: 20, segsz: 48, cpid: 80, nattch: 88 } as const;

interface SysvBindings {
  shmget: (key: number, size: number, flags: number) => number;
  shmat: (id: number, addr: number, flags: number) => number | bigint;
  shmctl: (id: number, cmd: number, buf: Uint8Array | null) => number;
}

let bound: SysvBindings | undefined;

function libc(): SysvBindings {
  if (bound) return bound;
  const { libc: lib } = native();
  bound = {
    shmget: lib.func('int shmget(int key, size_t size, int shmflg)'),
    // (void *)-1 on failure does not fit a double: koffi returns it as a BigInt.
    shmat: lib.func('uintptr_t shmat(int shmid, uintptr_t addr, int shmflg)'),
    shmctl: lib.func('int shmctl(int shmid, int cmd, void *buf)'),
  } as unknown as SysvBindings;
  return bound;
}

/** What `IPC_STAT` says about a segment. */
export interface SysvSegmentInfo {
  readonly uid: number;
  /** Permission bits (e.g. 0o600). */
  readonly mode: number;
  readonly size: number;
  readonly creatorPid: number;
  readonly attached: number;
}

/** A new private segment of `size` bytes with `mode` (default 0600); returns its id. */
export function sysvCreate(size: number, mode = 0o600): number {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`segment size must be a positive integer: size=${size}`);
  const id = libc().shmget(IPC_PRIVATE, size, IPC_CREAT | IPC_EXCL | (mode & 0o777));
  if (id < 0) throw lastError('shmget');
  return id;
}

/** `IPC_STAT`: owner, mode, size, creator and attach count. */
export function sysvStat(id: number): SysvSegmentInfo {
  const buf = new Uint8Array(SHMID_DS.size);
  if (libc().shmctl(id, IPC_STAT, buf) < 0) throw lastError('shmctl');
  const dv = new DataView(buf.buffer);
  return {
    uid: dv.getUint32(SHMID_DS.uid, true),
    mode: dv.getUint16(SHMID_DS.mode, true) & 0o777,
    size: Number(dv.getBigUint64(SHMID_DS.segsz, true)),
    creatorPid: dv.getInt32(SHMID_DS.cpid, true),
    attached: Number(dv.getBigUint64(SHMID_DS.nattch, true)),
  };
}

/** Attaches segment `id` read-write; the whole segment becomes one {@link MappedRegion}. */
export function sysvAttach(id: number): MappedRegion {
  const { size } = sysvStat(id);
  const address = libc().shmat(id, 0, 0);
  if (typeof address !== 'number') throw lastError('shmat');
  return new MappedRegion(address, size);
}

/** `IPC_RMID`: the segment goes once the last process detaches. False if it was already gone. */
export function sysvRemove(id: number): boolean {
  if (libc().shmctl(id, IPC_RMID, null) === 0) return true;
  const errno = lastErrno();
  if (errno === Errno.EINVAL || errno === Errno.EIDRM) return false;
  throw lastError('shmctl');
}
