/**
 * msgpack encodings of values other than byte arrays, sized first and then written where the
 * caller asks (`Codec.sizeOf` / `encodeInto`), through one scratch buffer reused by every call.
 *
 * Why: `packr.pack(value)` returns a new Buffer view per call and moves forward through buffers
 * it never reuses, allocating a fresh one every ~8 KiB. Publishing 64 B objects, those views
 * and buffers were most of the young-generation GC in the hub's profile (18% of its CPU); the
 * bytes themselves are copied at once into the connection's buffer. Here plain data is written
 * by hand into a scratch of its own (./msgpack-plain-write.ts: msgpackr's bytes for the codec's
 * options, which are the only options it is made with), anything else by msgpackr into its
 * scratch in reuse mode (`REUSE_BUFFER_MODE | RESET_BUFFER_MODE`: no view, the same bytes
 * rewritten next time), and `write` copies them out. The scratch is valid until the next
 * `size`: every `write` of a value is for the value sized last (the publish paths size, then
 * write once per connection, synchronously); any other value is encoded again first.
 * @module
 */
import { Packr, REUSE_BUFFER_MODE, RESET_BUFFER_MODE, type Options } from 'msgpackr';
import { PlainWriter } from './msgpack-plain-write.js';

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

/** msgpackr's buffer with the encoding's range. */
type Target = Uint8Array & { start: number; end: number };

/** Output buffers up to this size keep their DataView between writes (a stream connection's batch is 256 KiB). */
const KEEP_VIEW_OF = 1024 * 1024;

export class SizedPacks {
  readonly #packr: Packr;
  /** Plain data is written by hand (./msgpack-plain-write.ts), the rest by msgpackr. */
  readonly #plain = new PlainWriter();
  /** The value sized last and where its encoding is: `#from[#start, #end)`, a scratch. */
  #value: unknown = SizedPacks;
  #from: Uint8Array = this.#plain.bytes;
  #fromView: DataView = this.#plain.view;
  #start = 0;
  #end = 0;
  /** msgpackr's scratch (a Node Buffer) and a DataView of it, made when msgpackr changes it. */
  #target: Target | undefined;
  #targetView: DataView | undefined;
  /** The last buffer written to and its DataView. */
  #out: Uint8Array | undefined;
  #outView: DataView | undefined;

  constructor(options: Options) {
    this.#packr = new Packr(options);
  }

  /** Bytes of `value`'s encoding (written into a scratch now). Throws what msgpackr throws. */
  size(value: unknown): number {
    this.#value = SizedPacks; // not valid while packing: a throw leaves nothing sized
    const n = this.#plain.write(value);
    if (n >= 0) {
      this.#from = this.#plain.bytes;
      this.#fromView = this.#plain.view;
      this.#start = 0;
      this.#end = n;
    } else {
      if (this.#target !== undefined && this.#target.length > KEEP_SCRATCH) this.#packr.useBuffer(Buffer.allocUnsafeSlow(8192));
      const t = this.#packr.pack(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE) as unknown as Target;
      if (t !== this.#target) {
        this.#target = t;
        this.#targetView = new DataView(t.buffer, t.byteOffset, t.byteLength);
      }
      this.#from = t;
      this.#fromView = this.#targetView!;
      this.#start = t.start;
      this.#end = t.end;
    }
    this.#value = value;
    return this.#end - this.#start;
  }

  /** `value`'s encoding at `out[at]`: the scratch's bytes when it was sized last, else encoded again. */
  write(value: unknown, out: Uint8Array, at: number): void {
    if (value !== this.#value) this.size(value);
    const t = this.#from;
    const start = this.#start;
    const n = this.#end - start;
    if (n <= BYTE_COPY) {
      for (let i = 0; i < n; i++) out[at + i] = t[start + i]!;
    } else if (n <= WORD_COPY) {
      const from = this.#fromView;
      const to = this.#viewOf(out);
      let i = 0;
      for (; i + 4 <= n; i += 4) to.setUint32(at + i, from.getUint32(start + i));
      for (; i < n; i++) out[at + i] = t[start + i]!;
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
