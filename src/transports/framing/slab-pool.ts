/**
 * Batch buffers ("slabs") of a stream connection, reused once the kernel has them.
 *
 * Why: a connection used to allocate a fresh 256 KiB slab each time one filled (every 64
 * frames at 4 KiB), never reusing one because the socket may still hold views of it. A fresh
 * slab of that size is its own mmap: page faults on first touch, munmap and GC later, per
 * slab. A slab is in fact free again once the write of the last flush that holds a view of it
 * has completed (the socket calls back in order), so it is kept here until then and reused.
 * @module
 */
import { uninitialized } from '../../bytes.js';

/** Slabs kept for reuse: enough for the HIGH_WATER of a connection in flight and the one filling. */
const KEEP = 6;

export class SlabPool {
  readonly #size: number;
  /** Slabs the socket may still read, with the flush whose write completion frees them. */
  #retired: Array<{ slab: Uint8Array; flush: number }> = [];
  #free: Uint8Array[] = [];

  /** `size`: the slabs pooled; larger requests get a one-off buffer. */
  constructor(size: number) {
    this.#size = size;
  }

  /** A slab of at least `bytes` (not zero-filled). */
  take(bytes: number): Uint8Array {
    if (bytes <= this.#size) return this.#free.pop() ?? uninitialized(this.#size);
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
    while (n < retired.length && retired[n]!.flush <= flush) {
      if (this.#free.length < KEEP) this.#free.push(retired[n]!.slab);
      n++;
    }
    if (n > 0) this.#retired = retired.slice(n);
  }
}
