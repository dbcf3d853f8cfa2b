/**
 * The msgpack codec's fast path for the commonest payload of a byte bus: a value that is itself
 * a `Uint8Array`. msgpackr spends ~300 ns packing a 64-byte array and ~100 ns unpacking it
 * (call setup, extension checks, a Buffer view per call); its encoding is just a `bin` header
 * and the bytes, which this file writes and reads directly with the msgpack wire cursors. The
 * bytes are the same msgpack that msgpackr writes and reads (bin 8/16/32, smallest form), so
 * peers cannot tell the paths apart. Everything else goes through msgpackr.
 * @module
 */
import { Slab, view } from '../bytes.js';
import { binHeaderSize, MsgpackReader, MsgpackWriter } from './msgpack-wire.js';

/** Encodings up to this size are cut from a shared slab instead of allocated one by one. */
const SLAB_CUT_LIMIT = 4096;
const SLAB_BYTES = 64 * 1024;

/** Bytes of the msgpack `bin` of `n` bytes. */
export function binSize(n: number): number {
  return binHeaderSize(n) + n;
}

/** Byte arrays as msgpack `bin`s, with the slab and cursors of their owner (the msgpack codec). */
export class BinPayloads {
  readonly #slab = new Slab(SLAB_BYTES, SLAB_CUT_LIMIT);
  readonly #writer = new MsgpackWriter();
  readonly #reader = new MsgpackReader();

  /** Writes the msgpack `bin` of `bytes` at `out[at]` (`binSize(bytes.length)` bytes). */
  write(bytes: Uint8Array, out: Uint8Array, at: number): void {
    const w = this.#writer.at(out, at);
    w.binHeader(bytes.length);
    w.raw(bytes);
  }

  /** msgpack `bin` of `bytes` (a copy: the caller may change `bytes` afterwards). */
  encode(bytes: Uint8Array): Uint8Array {
    const size = binSize(bytes.length);
    const at = this.#slab.cut(size);
    const out = this.#slab.bytes;
    this.write(bytes, out, at);
    // A cut past the limit is a buffer of its own, exactly this size: no view needed.
    return at === 0 && size === out.length ? out : view(out, at, at + size);
  }

  /**
   * The value of an encoding (bytes [start, end)) that is one `bin` and nothing else: a view of
   * `bytes` (received frames belong to the receiver, so the view aliases nothing reusable), or
   * undefined when the encoding is anything else.
   */
  decode(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array | undefined {
    const r = this.#reader.at(bytes, start);
    const n = r.binHeader();
    // A length that disagrees with the buffer is msgpackr's to report (as a CodecError).
    if (n < 0 || r.pos + n !== end) return undefined;
    return view(bytes, r.pos, end);
  }
}
