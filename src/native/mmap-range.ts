/**
 * `mmap` of a byte range of a shm segment, read-only or read-write: what zero-copy receivers
 * need beyond ./mmap.ts (which maps a whole segment read-write). The range is unmapped only once
 * no JavaScript can reach it (a FinalizationRegistry), so no view ever touches unmapped memory.
 *
 * @example
 * ```ts
 * const pool = mapRangeUntilCollected(fd, 65536, 1 << 20, { readOnly: true });
 * const sample = new Uint8Array(pool, 0, 1000); // valid as long as it is reachable
 * ```
 * @module
 */
import { native } from './loader.js';
import { lastError } from './errno.js';

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x01;
/** Page size on x86-64 and aarch64 Linux (4 KiB pages); offsets must be multiples of it. */
export const PAGE_BYTES = 4096;

type Mmap = (addr: number, len: number, prot: number, flags: number, fd: number, off: number) => number | bigint;
let mmap: Mmap | undefined;
let munmap: ((addr: number, len: number) => number) | undefined;

/** Maps `size` bytes of `fd` from `offset`; read-only with `readOnly` (writes through it then fault). */
function mapAddress(fd: number, offset: number, size: number, options: { readOnly?: boolean }): number {
  // A second prototype of the same symbol is fine with koffi (see ./mmap.ts for the first).
  mmap ??= native().libc.func('uintptr_t mmap(uintptr_t addr, size_t len, int prot, int flags, int fd, int64_t off)') as unknown as Mmap;
  const prot = options.readOnly ? PROT_READ : PROT_READ | PROT_WRITE;
  const address = mmap(0, size, prot, MAP_SHARED, fd, offset);
  if (typeof address !== 'number' || address === 0) throw lastError('mmap');
  return address;
}

/** Unmaps a range once no JavaScript can reach the ArrayBuffer over it (nor any view of it). */
const unmapWhenCollected = new FinalizationRegistry<{ address: number; size: number }>((range) => {
  munmap ??= native().libc.func('int munmap(uintptr_t addr, size_t len)') as unknown as (addr: number, len: number) => number;
  munmap(range.address, range.size);
});

/**
 * Maps `size` bytes of `fd` from `offset` (a multiple of {@link PAGE_BYTES}), read-only with
 * `readOnly` (writes through it then fault, so a receiver cannot scribble over a sample). There is
 * no `release()`: the range is unmapped only after the returned
 * ArrayBuffer (and so every typed array over it) has been garbage collected, so no view can ever
 * touch unmapped memory. For a mapping made once and shared by many views (a receiver's view of
 * a whole zero-copy pool); the segment's memory lives until then, even after its name is gone.
 *
 * @example
 * ```ts
 * const pool = mapRangeUntilCollected(fd, 65536, 1 << 20, { readOnly: true });
 * const sample = new Uint8Array(pool, 0, 1000); // valid as long as it is reachable
 * ```
 */
export function mapRangeUntilCollected(fd: number, offset: number, size: number, options: { readOnly?: boolean } = {}): ArrayBuffer {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`mapping size must be a positive integer: size=${size}`);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % PAGE_BYTES !== 0) {
    throw new RangeError(`mapping offset must be a multiple of ${PAGE_BYTES}: offset=${offset}`);
  }
  const address = mapAddress(fd, offset, size, options);
  const buffer = native().koffi.view(address, size) as ArrayBuffer;
  unmapWhenCollected.register(buffer, { address, size });
  return buffer;
}
