/**
 * msgpack encodings of values other than byte arrays, sized first and then written where the
 * caller asks (`Codec.sizeOf` / `encodeInto`), through one scratch buffer reused by every call.
 *
 * Why: `packr.pack(value)` returns a new Buffer view per call and moves forward through buffers
 * it never reuses, allocating a fresh one every ~8 KiB. Publishing 64 B objects, those views
 * and buffers were most of the young-generation GC in the hub's profile (18% of its CPU); the
 * bytes themselves are copied at once into the connection's buffer. Here msgpackr packs into
 * its scratch in reuse mode (`REUSE_BUFFER_MODE | RESET_BUFFER_MODE`: no view, the same bytes
 * rewritten next time) and `write` copies them out. The scratch is valid until the next
 * `size`: every `write` of a value is for the value sized last (the publish paths size, then
 * write once per connection, synchronously); any other value is packed again first.
 * @module
 */
import { Packr, REUSE_BUFFER_MODE, RESET_BUFFER_MODE, type Options } from 'msgpackr';

/** Copies up to this many bytes with a byte loop. */
const BYTE_COPY = 16;
/**
 * Copies up to this many bytes 4 at a time through DataViews (no view object per copy, no native
 * call); larger ones natively. CPU per copy (microbenchmark): 76 B 42 ns this way, 108 ns by a
 * byte loop, 59 ns through a view and `set`; from ~150 B the native copy wins.
 */
const WORD_COPY = 128;

/**
 * A scratch grown past this (by one large value) is given up at the next `size`: msgpackr keeps
 * its buffer for good, and one 500 MB object must not pin 500 MB for the rest of the process.
 */
const KEEP_SCRATCH = 1024 * 1024;

/** msgpackr's buffer (a Node Buffer, whose `copy` takes a range without a view) with the encoding's range. */
type Target = Uint8Array & { start: number; end: number; copy?: (to: Uint8Array, at: number, start: number, end: number) => number };

/** Output buffers up to this size keep their DataView between writes (a stream connection's batch is 256 KiB). */
const KEEP_VIEW_OF = 1024 * 1024;

export class SizedPacks {
  readonly #packr: Packr;
  /** The value sized last and where its encoding is in the scratch. */
  #value: unknown = SizedPacks;
  #target: Target | undefined;
  /** A DataView of the scratch (made when msgpackr changes it), and of the last buffer written to. */
  #targetView: DataView | undefined;
  #out: Uint8Array | undefined;
  #outView: DataView | undefined;

  constructor(options: Options) {
    this.#packr = new Packr(options);
  }

  /** Bytes of `value`'s encoding (packed into the scratch now). Throws what msgpackr throws. */
  size(value: unknown): number {
    this.#value = SizedPacks; // not valid while packing: a throw leaves nothing sized
    if (this.#target !== undefined && this.#target.length > KEEP_SCRATCH) this.#packr.useBuffer(Buffer.allocUnsafeSlow(8192));
    const t = this.#packr.pack(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as unknown as Target;
    if (t !== this.#target) {
      this.#target = t;
      this.#targetView = new DataView(t.buffer, t.byteOffset, t.byteLength);
    }
    this.#value = value;
    return t.end - t.start;
  }

  /** `value`'s encoding at `out[at]`: the scratch's bytes when it was sized last, else packed again. */
  write(value: unknown, out: Uint8Array, at: number): void {
    if (value !== this.#value) this.size(value);
    const t = this.#target!;
    const start = t.start;
    const n = t.end - start;
    if (n <= BYTE_COPY) {
      for (let i = 0; i < n; i++) out[at + i] = t[start + i]!;
    } else if (n <= WORD_COPY) {
      const from = this.#targetView!;
      const to = this.#viewOf(out);
      let i = 0;
      for (; i + 4 <= n; i += 4) to.setUint32(at + i, from.getUint32(start + i));
      for (; i < n; i++) out[at + i] = t[start + i]!;
    } else if (t.copy !== undefined) {
      t.copy(out, at, start, t.end);
    } else {
      out.set(new Uint8Array(t.buffer, t.byteOffset + start, n), at);
    }
  }

  /**
   * A DataView of `out`, kept for the next write (a batch buffer takes thousands of frames). Only
   * buffers up to KEEP_VIEW_OF are kept: the last one stays referenced until another is written
   * to, which must not hold a large mapping (a shm ring) past its connection's close.
   */
  #viewOf(out: Uint8Array): DataView {
    if (out === this.#out) return this.#outView!;
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    if (out.byteLength <= KEEP_VIEW_OF) {
      this.#out = out;
      this.#outView = v;
    }
    return v;
  }
}
