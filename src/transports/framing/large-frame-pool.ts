/**
 * Buffers for large frames written in place (over the batch's copy limit), reused once the
 * kernel has them.
 *
 * Why: a large frame encoded in place still needs memory of its own (it is one frame, not part
 * of a batch slab), and a fresh allocation per frame is fresh pages: on a 2-core VM, allocating
 * 1 MiB and copying a payload into it measured ~1.1 ms of CPU (half of it the kernel faulting
 * pages in), against ~25 µs for the same copy into a buffer used before. The copy itself is
 * unavoidable (`publish()`'s caller may change its array once it returns); the fresh pages are
 * not. Each connection retires the buffers it wrote with the flush that carries them, as its
 * slabs are (./slab-pool.ts); once that flush is written they go back to one free store shared by
 * the process, so a connection that sent one burst does not keep memory of its own.
 *
 * Size classes are quarter powers of two (32 KiB, 40 KiB, 48 KiB, 56 KiB, 64 KiB, 80 KiB, …),
 * so a frame wastes at most a fifth of its buffer and a 1 MiB payload with its envelope takes
 * a 1.25 MiB buffer, not 2 MiB.
 * @module
 */
import { uninitialized, view } from '../../bytes.js';
import { HEADER_BYTES, writeLength } from './length-prefix.js';

/** Smallest pooled buffer; below it frames go through the batch slab anyway. */
const MIN_POOLED = 32 * 1024;
/** Larger frames get a buffer of their own, never pooled (rare, and they would pin a lot). */
const MAX_POOLED = 16 * 1024 * 1024;
/** Free bytes the process keeps for reuse, all classes together. */
const FREE_BUDGET = 8 * 1024 * 1024;

/** Free buffers by class size; their total bytes. */
const free = new Map<number, Uint8Array[]>();
let freeBytes = 0;

/** The class size for a frame of `bytes`: the next quarter power of two at or above it. */
export function classSize(bytes: number): number {
  if (bytes <= MIN_POOLED) return MIN_POOLED;
  const octave = 2 ** Math.floor(Math.log2(bytes));
  const step = octave / 4;
  return Math.ceil(bytes / step) * step;
}

/**
 * A buffer of at least `bytes`, not zero-filled: a used one of its class when there is one.
 * For a connection that knows itself when the buffer is free (a shm ring copies it in), which
 * then gives it back with `giveLargeFrame`.
 */
export function takeLargeFrame(bytes: number): Uint8Array {
  if (bytes > MAX_POOLED) return uninitialized(bytes);
  const size = classSize(bytes);
  const list = free.get(size);
  const reused = list?.pop();
  if (reused !== undefined) {
    freeBytes -= size;
    return reused;
  }
  return uninitialized(size);
}

/** `buf` (from `takeLargeFrame`) is written and nobody reads it any more: keep it for the next frame of its class. */
export function giveLargeFrame(buf: Uint8Array): void {
  const size = buf.length;
  if (size > MAX_POOLED || size !== classSize(size) || freeBytes + size > FREE_BUDGET) return;
  let list = free.get(size);
  if (list === undefined) free.set(size, (list = []));
  list.push(buf);
  freeBytes += size;
}

/** Free bytes kept by the process now (for tests and stats). */
export function largeFramesFreeBytes(): number {
  return freeBytes;
}

/**
 * One connection's large-frame buffers in flight: taken for a frame, retired with the flush
 * that writes it, given back to the process's free store once that flush is written.
 *
 * @example
 * ```ts
 * const frames = new LargeFrames();
 * const buf = frames.take(1 << 20);      // room for a 1 MiB frame
 * frames.retire(buf, flushNumber);       // it goes out with flush `flushNumber`
 * frames.written(flushNumber);           // the socket says that flush is written: reusable
 * ```
 */
export class LargeFrames {
  /** Buffers the socket may still read, with the flush whose write completion frees them. */
  #retired: Array<{ buf: Uint8Array; flush: number }> = [];
  /** The frame reserved last: its buffer and body size. */
  #reserved: Uint8Array | undefined;
  #size = 0;

  /** Room for a length-prefixed frame with a body of `size` bytes: the body goes at HEADER_BYTES. */
  reserve(size: number): Uint8Array {
    this.#size = size;
    return (this.#reserved = this.take(HEADER_BYTES + size));
  }

  /** The frame reserved last, its length written, as one chunk that goes out with flush `flush`. */
  commit(flush: number): Uint8Array {
    const buf = this.#reserved!;
    this.#reserved = undefined;
    writeLength(buf, 0, this.#size);
    this.retire(buf, flush);
    return view(buf, 0, HEADER_BYTES + this.#size);
  }

  /** Room for a frame of `bytes` (not zero-filled). */
  take(bytes: number): Uint8Array {
    return takeLargeFrame(bytes);
  }

  /** `buf` is handed to the socket with flush `flush`. */
  retire(buf: Uint8Array, flush: number): void {
    this.#retired.push({ buf, flush });
  }

  /** Every flush up to `flush` is in the kernel: the buffers they held are free. */
  written(flush: number): void {
    const retired = this.#retired;
    if (retired.length === 0) return;
    let n = 0;
    while (n < retired.length && retired[n]!.flush <= flush) giveLargeFrame(retired[n++]!.buf);
    if (n > 0) this.#retired = retired.slice(n);
  }

  /** The connection is gone: what the socket may still hold is left to the garbage collector. */
  drop(): void {
    this.#retired = [];
    this.#reserved = undefined;
  }
}
