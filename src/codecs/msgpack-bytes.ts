/**
 * The msgpack codec's fast path for the commonest payload of a byte bus: a value that is itself
 * a `Uint8Array`. msgpackr spends ~300 ns packing a 64-byte array and ~100 ns unpacking it
 * (call setup, extension checks, a Buffer view per call); its encoding is just a `bin` header
 * and the bytes, which this file writes and reads directly. The bytes are the same msgpack
 * that msgpackr writes and reads (bin 8/16/32, smallest form), so peers cannot tell the paths
 * apart. Everything else goes through msgpackr.
 * @module
 */
import { uninitialized, view } from '../bytes.js';

/** Encodings up to this size are cut from a shared slab instead of allocated one by one. */
const SLAB_CUT_LIMIT = 4096;
const SLAB_BYTES = 64 * 1024;

// A slab is only ever cut forward: an encoding handed out is never written again.
let slab: Uint8Array = new Uint8Array(0);
let slabPos = 0;

/** Bytes of the msgpack `bin` of `n` bytes. */
export function binSize(n: number): number {
  return (n < 256 ? 2 : n < 65536 ? 3 : 5) + n;
}

/** Writes the msgpack `bin` of `bytes` at `out[p]` (`binSize(bytes.length)` bytes). */
export function writeBin(bytes: Uint8Array, out: Uint8Array, p: number): void {
  const n = bytes.length;
  let head: number;
  if (n < 256) { out[p] = 0xc4; out[p + 1] = n; head = 2; }
  else if (n < 65536) { out[p] = 0xc5; out[p + 1] = n >>> 8; out[p + 2] = n & 0xff; head = 3; }
  else { out[p] = 0xc6; out[p + 1] = n >>> 24; out[p + 2] = (n >>> 16) & 0xff; out[p + 3] = (n >>> 8) & 0xff; out[p + 4] = n & 0xff; head = 5; }
  out.set(bytes, p + head);
}

/** msgpack `bin` of `bytes` (a copy: the caller may change `bytes` afterwards). */
export function encodeBin(bytes: Uint8Array): Uint8Array {
  const size = binSize(bytes.length);
  let out: Uint8Array;
  let p: number;
  if (size <= SLAB_CUT_LIMIT) {
    if (slabPos + size > slab.length) {
      slab = uninitialized(SLAB_BYTES);
      slabPos = 0;
    }
    out = slab;
    p = slabPos;
    slabPos += size;
  } else {
    out = uninitialized(size);
    p = 0;
  }
  writeBin(bytes, out, p);
  return out === slab ? view(out, p, p + size) : out;
}

/**
 * The value of an encoding (bytes [start, end)) that is one `bin` and nothing else: a view of `bytes` (received
 * frames belong to the receiver, so the view aliases nothing reusable), or undefined when the
 * encoding is anything else.
 */
export function decodeBin(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array | undefined {
  const b = bytes[start];
  let head: number;
  let n: number;
  if (b === 0xc4) { head = 2; n = bytes[start + 1]!; }
  else if (b === 0xc5) { head = 3; n = (bytes[start + 1]! << 8) | bytes[start + 2]!; }
  else if (b === 0xc6) {
    head = 5;
    n = ((bytes[start + 1]! << 24) >>> 0) + (bytes[start + 2]! << 16) + (bytes[start + 3]! << 8) + bytes[start + 4]!;
  } else return undefined;
  // A length that disagrees with the buffer is msgpackr's to report (as a CodecError).
  if (head + n !== end - start) return undefined;
  return view(bytes, start + head, end);
}
