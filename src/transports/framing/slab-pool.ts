/**
 * Batch buffers ("slabs") of stream connections, reused once the kernel has them.
 *
 * Why: a connection used to allocate a fresh 256 KiB slab each time one filled (every 64
 * frames at 4 KiB), never reusing one because the socket may still hold views of it. A fresh
 * slab of that size is its own mmap: page faults on first touch, munmap and GC later, per
 * slab. A slab is in fact free again once the write of the last flush that holds a view of it
 * has completed (the socket calls back in order), so it is kept here until then and reused.
 *
 * Free slabs go to one store shared by the process (as large frames do, ./large-frame-pool.ts),
 * bounded in bytes, not to the connection that used them. A connection once kept at most 6:
 * enough for its high-water mark, but a publisher that goes on publishing while full (a window
 * of unawaited publishes, as the bench's relay publisher keeps) has more in flight, and every
 * slab past 6 was fresh memory on each cycle (0.2-0.5 page faults per 4 KiB message in a fan-out
 * publisher). The shared store also bounds what a process with many connections keeps.
 * @module
 */
import { uninitialized } from '../../bytes.js';

/** Free slab bytes the process keeps for reuse, every connection together (32 slabs of 256 KiB). */
const FREE_BUDGET = 8 * 1024 * 1024;

/** Free slabs by size; their total bytes. */
const free = new Map<number, Uint8Array[]>();
let freeBytes = 0;

/** Free slab bytes kept by the process now (for tests and stats). */
export function slabsFreeBytes(): number {
  return freeBytes;
}

function takeFree(size: number): Uint8Array | undefined {
  const slab = free.get(size)?.pop();
  if (slab !== undefined) freeBytes -= size;
  return slab;
}

function giveFree(slab: Uint8Array): void {
  const size = slab.length;
  if (freeBytes + size > FREE_BUDGET) return; // the garbage collector takes it
  let list = free.get(size);
  if (list === undefined) free.set(size, (list = []));
  list.push(slab);
  freeBytes += size;
}

/** One connection's slabs in flight: retired with the flush that writes them, free once it is written. */
export class SlabPool {
  readonly #size: number;
  /** Slabs the socket may still read, with the flush whose write completion frees them. */
  #retired: Array<{ slab: Uint8Array; flush: number }> = [];

  /** `size`: the slabs pooled; larger requests get a one-off buffer. */
  constructor(size: number) {
    this.#size = size;
  }

  /** A slab of at least `bytes` (not zero-filled). */
  take(bytes: number): Uint8Array {
    if (bytes <= this.#size) return takeFree(this.#size) ?? uninitialized(this.#size);
    return uninitialized(bytes);
  }

  /** `slab` is no longer written to; the socket holds views of it until flush `flush` is written. */
  retire(slab: Uint8Array, flush: number): void {
    if (slab.length !== this.#size) return;
    this.#retired.push({ slab, flush });
  }

  /** Every flush up to `flush` is in the kernel: the slabs they held are free. */
  written(flush: number): void {
    const retired = this.#retired;
    let n = 0;
    while (n < retired.length && retired[n]!.flush <= flush) giveFree(retired[n++]!.slab);
    if (n > 0) this.#retired = retired.slice(n);
  }
}
