/**
 * POSIX shared memory: `shm_open` / `shm_unlink` segments under /dev/shm and `mmap(MAP_SHARED)`
 * mappings seen from JavaScript through `koffi.view()` (a zero-copy ArrayBuffer).
 *
 * The one trap: after `munmap`, touching a view kills the process with SIGSEGV, and JavaScript
 * cannot detach a koffi view. So {@link MappedRegion.release} never leaves the address range
 * unmapped while the ArrayBuffer is reachable: it replaces the shared mapping in place with
 * private anonymous memory (`MAP_FIXED`, which drops the shared pages and the segment reference
 * at once), and only `munmap`s that placeholder after the ArrayBuffer has been garbage collected.
 * A stray late access then reads zeros instead of crashing; nothing can race the unmap.
 *
 * @example
 * ```ts
 * const fd = shmOpen('/unibus.demo:x', { create: true });
 * ftruncateSync(fd, 1 << 20);
 * const region = mapShared(fd, 1 << 20);
 * closeSync(fd);
 * new Int32Array(region.buffer)[0] = 1;
 * region.release();
 * shmUnlink('/unibus.demo:x');
 * ```
 * @module
 */
import { native } from './loader.js';
import { lastError, lastErrno, Errno } from './errno.js';

/** `mmap` returns MAP_FAILED ((void *)-1) as this BigInt, not null (koffi cannot fit it in a double). */
export const MAP_FAILED = 18446744073709551615n;

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;

/** open(2) flags used with shm_open (x86-64 / aarch64 values). */
const O_RDWR = 0o2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;

interface MmapBindings {
  shm_open: (name: string, flags: number, mode: number) => number;
  shm_unlink: (name: string) => number;
  /** A number for a user-space address; MAP_FAILED does not fit a double and comes as a BigInt. */
  mmap: (addr: number, len: number, prot: number, flags: number, fd: number, off: number) => number | bigint;
  munmap: (addr: number, len: number) => number;
}

let bound: MmapBindings | undefined;

function libc(): MmapBindings {
  if (bound) return bound;
  const { libc: lib } = native();
  bound = {
    shm_open: lib.func('int shm_open(const char *name, int oflag, uint32_t mode)'),
    shm_unlink: lib.func('int shm_unlink(const char *name)'),
    // As uintptr_t, koffi returns user-space addresses (< 2^47) as numbers.
    mmap: lib.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    munmap: lib.func('int munmap(uintptr_t addr, size_t len)'),
  } as unknown as MmapBindings;
  return bound;
}

/** Checks a POSIX shm name: one leading `/`, then no `/`, not `.` or `..`, at most 255 bytes. */
export function checkShmName(name: string): void {
  if (!/^\/[^/\0]{1,254}$/.test(name) || name === '/.' || name === '/..') {
    throw new RangeError(`shm name must be "/" then 1-254 characters without "/": name=${JSON.stringify(name)}`);
  }
}

/**
 * `shm_open` read-write, close-on-exec, never following a symlink. With `create`, the segment
 * must not exist yet (O_EXCL) and gets `mode` (default 0600). Throws Node-shaped errors
 * (`EEXIST`, `ENOENT`, `EACCES`…).
 */
export function shmOpen(name: string, options: { create?: boolean; mode?: number } = {}): number {
  checkShmName(name);
  let flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC;
  if (options.create) flags |= O_CREAT | O_EXCL;
  const fd = libc().shm_open(name, flags, options.mode ?? 0o600);
  if (fd < 0) throw lastError('shm_open', name);
  return fd;
}

/** Removes a segment's name (mappings stay valid until released). False if it did not exist. */
export function shmUnlink(name: string): boolean {
  checkShmName(name);
  if (libc().shm_unlink(name) === 0) return true;
  if (lastErrno() === Errno.ENOENT) return false;
  throw lastError('shm_unlink', name);
}

/**
 * Owner of one shared mapping. `buffer` is the only handle to the memory; everything built on it
 * (typed arrays) must be dropped by its users before they call `release()`.
 */
export class MappedRegion {
  readonly size: number;
  #address: number;
  #buffer: ArrayBuffer | null;

  /** @internal Use {@link mapShared} or `attachSysv`. */
  constructor(address: number, size: number) {
    this.#address = address;
    this.size = size;
    this.#buffer = native().koffi.view(address, size) as ArrayBuffer;
  }

  /** The mapped bytes; throws after `release()` so no new view can be made over freed memory. */
  get buffer(): ArrayBuffer {
    if (this.#buffer === null) throw new Error('MappedRegion: buffer used after release()');
    return this.#buffer;
  }

  /** True until `release()`. */
  get mapped(): boolean {
    return this.#buffer !== null;
  }

  /**
   * Drops the shared memory now (the segment is freed once every process released it). The
   * address range stays readable (private zero pages) until the last view is collected. Idempotent.
   */
  release(): void {
    const buffer = this.#buffer;
    if (buffer === null) return;
    this.#buffer = null;
    const { mmap } = libc();
    // MAP_FIXED replaces the shared mapping atomically: no instant where the range is unmapped.
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE;
    const got = mmap(this.#address, this.size, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (got !== this.#address) {
      // Cannot swap in a placeholder: keep the shared mapping rather than risk a SIGSEGV.
      placeholders.register(buffer, { address: this.#address, size: this.size, shared: true });
      return;
    }
    placeholders.register(buffer, { address: this.#address, size: this.size, shared: false });
  }
}

/** Unmaps a placeholder once no JavaScript can reach its ArrayBuffer any more. */
const placeholders = new FinalizationRegistry<{ address: number; size: number; shared: boolean }>((held) => {
  libc().munmap(held.address, held.size);
});

/** `mmap(PROT_READ | PROT_WRITE, MAP_SHARED)` of the first `size` bytes of `fd`. */
export function mapShared(fd: number, size: number): MappedRegion {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`mapping size must be a positive integer: size=${size}`);
  const address = libc().mmap(0, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (typeof address !== 'number' || address === 0) throw lastError('mmap');
  return new MappedRegion(address, size);
}
