/**
 * Byte helpers shared by codecs, the bus protocol and the transports (below all of them): plain
 * Uint8Array views and slabs, never Buffers, on the hot paths.
 * @module
 */

/**
 * A plain Uint8Array over memory that is not zero-filled, for slabs that are always written
 * before they are read. Plain (not a Buffer): `subarray()` on it is much cheaper than on a
 * Buffer, which matters when a frame view is cut per message.
 */
export function uninitialized(bytes: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * A view of bytes [start, end) of `bytes`, as a plain Uint8Array (never a Buffer). The hot paths
 * cut one per frame or payload: the constructor measured 22 ns against `subarray`'s 34 ns
 * (Node 20), which species lookup makes slower.
 */
export function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}

/**
 * A cut-forward slab: many short-lived encodings cut from one uninitialized chunk instead of one
 * allocation each. Bytes once cut are never handed out again (a transport or a receiver may hold
 * them), so a chunk is dropped, not rewound, when it runs short.
 *
 * @example
 * ```ts
 * const slab = new Slab(64 * 1024);
 * const at = slab.cut(5);          // 5 bytes at slab.bytes[at]
 * slab.bytes.set([1, 2, 3, 4, 5], at);
 * const frame = view(slab.bytes, at, at + 5);
 * ```
 */
export class Slab {
  /** The buffer of the last `cut()`: the chunk, or a buffer of its own for a cut past `cutLimit`. */
  bytes: Uint8Array = new Uint8Array(0);
  #chunk: Uint8Array = this.bytes;
  #pos = 0;

  /**
   * @param chunkBytes size of each chunk
   * @param cutLimit cuts above this size get their own buffer (they would waste a chunk's tail)
   */
  constructor(readonly chunkBytes: number, readonly cutLimit = chunkBytes) {}

  /** Offset in `bytes` of `size` fresh bytes. */
  cut(size: number): number {
    if (size > this.cutLimit) {
      this.bytes = uninitialized(size);
      return 0;
    }
    if (this.#pos + size > this.#chunk.length) {
      this.#chunk = uninitialized(this.chunkBytes);
      this.#pos = 0;
    }
    this.bytes = this.#chunk;
    const at = this.#pos;
    this.#pos += size;
    return at;
  }

  /** The last cut was an upper bound and its bytes end at `end`: the rest goes back to the slab. */
  trim(end: number): void {
    if (this.bytes === this.#chunk) this.#pos = end;
  }
}
