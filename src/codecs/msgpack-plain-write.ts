/**
 * The msgpack codec's writer for plain data, the other half of ./msgpack-plain-read.ts: plain
 * objects (`{}`), arrays, strings, numbers, booleans, null, undefined and byte arrays, written by
 * hand into one reused scratch, byte for byte what msgpackr writes with the codec's options
 * (objects as map 16, integers in their smallest form, other numbers as float 64, undefined as
 * fixext 1 type 0, strings with msgpackr's UTF-8 for lone surrogates). Anything else (class
 * instances, Maps, Dates, bigints, deep or very large values) answers -1 and msgpackr encodes it.
 *
 * Why: msgpackr's `pack` spends ~100 ns per call on set-up and bookkeeping (state checks, buffer
 * alignment, options, try/finally) before its first byte; for a 64 B object that was a third
 * of a publisher's CPU per message.
 * @module
 */

/** Nesting deeper than this is msgpackr's (its errors for cycles, too). */
const MAX_DEPTH = 64;
const SCRATCH_BYTES = 64 * 1024;
/** Strings from this many characters are written natively (msgpackr's own threshold). */
const NATIVE_STRING = 0x40;

const nodeUtf8Write = (Buffer.prototype as unknown as { utf8Write?: (this: Uint8Array, s: string, at: number, max: number) => number }).utf8Write;
const encoder = new TextEncoder();
/** UTF-8 of `s` at `out[at]` (lone surrogates as U+FFFD, as msgpackr writes them); returns the bytes written. */
const utf8Write = nodeUtf8Write !== undefined
  ? (out: Uint8Array, s: string, at: number): number => nodeUtf8Write.call(out, s, at, out.length - at)
  : (out: Uint8Array, s: string, at: number): number => encoder.encodeInto(s, out.subarray(at)).written;

/**
 * Writes plain values into its scratch; `bytes[0, size)` is the last encoding.
 *
 * The array, bin, str and unsigned-integer headers are the bytes `MsgpackWriter`
 * (./msgpack-wire.ts) writes. They are written inline here on purpose: built on MsgpackWriter
 * (held, or inherited) this writer took 6-8% more CPU per 64 B object (203-214 ns against
 * 190-197, CPU microbenchmark, alternated), on every publish of an object.
 */
export class PlainWriter {
  readonly bytes = new Uint8Array(SCRATCH_BYTES);
  readonly view = new DataView(this.bytes.buffer);
  #pos = 0;

  /** Encodes `value` into `bytes` from 0; returns its size, or -1 when it is not plain (or too large). */
  write(value: unknown): number {
    this.#pos = 0;
    return this.#value(value, 0) ? this.#pos : -1;
  }

  #value(v: unknown, depth: number): boolean {
    // Room for any fixed-size item (a float 64 or a container header) before writing it.
    if (this.#pos + 9 > SCRATCH_BYTES) return false;
    switch (typeof v) {
      case 'string': return this.#str(v);
      case 'number': this.#num(v); return true;
      case 'boolean': this.bytes[this.#pos++] = v ? 0xc3 : 0xc2; return true;
      case 'undefined': {
        const b = this.bytes;
        const p = this.#pos;
        b[p] = 0xd4; b[p + 1] = 0; b[p + 2] = 0;
        this.#pos = p + 3;
        return true;
      }
      case 'object': {
        if (v === null) { this.bytes[this.#pos++] = 0xc0; return true; }
        if (depth >= MAX_DEPTH) return false;
        const c = (v as { constructor?: unknown }).constructor;
        if (c === Object) return this.#object(v as Record<string, unknown>, depth);
        if (c === Array) return this.#array(v as unknown[], depth);
        if (c === Uint8Array || c === Buffer) return this.#bin(v as Uint8Array);
        return false;
      }
      default: return false;
    }
  }

  #object(o: Record<string, unknown>, depth: number): boolean {
    const b = this.bytes;
    // Always map 16 with the count written after, as msgpackr writes plain objects.
    const head = this.#pos;
    b[head] = 0xde;
    this.#pos = head + 3;
    let count = 0;
    // msgpackr's own test of which keys count: an own `hasOwnProperty` that is not a function counts every key.
    for (const k in o) {
      if (typeof o.hasOwnProperty !== 'function' || o.hasOwnProperty(k)) {
        if (!this.#str(k) || !this.#value(o[k], depth + 1)) return false;
        count++;
      }
    }
    if (count > 0xffff) return false;
    b[head + 1] = count >>> 8;
    b[head + 2] = count & 0xff;
    return true;
  }

  #array(a: unknown[], depth: number): boolean {
    const n = a.length;
    const b = this.bytes;
    const p = this.#pos;
    if (n < 16) { b[p] = 0x90 | n; this.#pos = p + 1; }
    else if (n < 0x10000) { b[p] = 0xdc; b[p + 1] = n >>> 8; b[p + 2] = n & 0xff; this.#pos = p + 3; }
    else { b[p] = 0xdd; this.view.setUint32(p + 1, n); this.#pos = p + 5; }
    for (let i = 0; i < n; i++) if (!this.#value(a[i], depth + 1)) return false;
    return true;
  }

  #bin(v: Uint8Array): boolean {
    const n = v.length;
    const b = this.bytes;
    const p = this.#pos;
    if (p + 5 + n > SCRATCH_BYTES) return false;
    let at: number;
    if (n < 0x100) { b[p] = 0xc4; b[p + 1] = n; at = p + 2; }
    else if (n < 0x10000) { b[p] = 0xc5; b[p + 1] = n >>> 8; b[p + 2] = n & 0xff; at = p + 3; }
    else { b[p] = 0xc6; this.view.setUint32(p + 1, n); at = p + 5; }
    b.set(v, at);
    this.#pos = at + n;
    return true;
  }

  #num(v: number): void {
    const b = this.bytes;
    const p = this.#pos;
    if (v >>> 0 === v) {
      if (v < 0x80) { b[p] = v; this.#pos = p + 1; }
      else if (v < 0x100) { b[p] = 0xcc; b[p + 1] = v; this.#pos = p + 2; }
      else if (v < 0x10000) { b[p] = 0xcd; b[p + 1] = v >>> 8; b[p + 2] = v & 0xff; this.#pos = p + 3; }
      else { b[p] = 0xce; this.view.setUint32(p + 1, v); this.#pos = p + 5; }
    } else if (v >> 0 === v) {
      if (v >= -0x20) { b[p] = v & 0xff; this.#pos = p + 1; }
      else if (v >= -0x80) { b[p] = 0xd0; b[p + 1] = v & 0xff; this.#pos = p + 2; }
      else if (v >= -0x8000) { b[p] = 0xd1; this.view.setInt16(p + 1, v); this.#pos = p + 3; }
      else { b[p] = 0xd2; this.view.setInt32(p + 1, v); this.#pos = p + 5; }
    } else {
      b[p] = 0xcb;
      this.view.setFloat64(p + 1, v);
      this.#pos = p + 9;
    }
  }

  /** A str: its body written after a header guessed from the length, moved if the bytes need another. */
  #str(s: string): boolean {
    const n = s.length;
    const b = this.bytes;
    const p = this.#pos;
    if (p + 5 + n * 3 > SCRATCH_BYTES) return false;
    const guess = n < 0x20 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
    let bytes: number;
    if (n < NATIVE_STRING) {
      let q = p + guess;
      for (let i = 0; i < n; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) b[q++] = c;
        else if (c < 0x800) { b[q++] = (c >> 6) | 0xc0; b[q++] = (c & 0x3f) | 0x80; }
        else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          c = 0x10000 + ((c & 0x03ff) << 10) + (s.charCodeAt(++i) & 0x03ff);
          b[q++] = (c >> 18) | 0xf0; b[q++] = ((c >> 12) & 0x3f) | 0x80; b[q++] = ((c >> 6) & 0x3f) | 0x80; b[q++] = (c & 0x3f) | 0x80;
        } else if ((c & 0xf800) === 0xd800) { b[q++] = 0xef; b[q++] = 0xbf; b[q++] = 0xbd; } // a lone surrogate
        else { b[q++] = (c >> 12) | 0xe0; b[q++] = ((c >> 6) & 0x3f) | 0x80; b[q++] = (c & 0x3f) | 0x80; }
      }
      bytes = q - p - guess;
    } else {
      bytes = utf8Write(b, s, p + guess);
    }
    const head = bytes < 0x20 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5;
    if (head !== guess) b.copyWithin(p + head, p + guess, p + guess + bytes);
    if (head === 1) b[p] = 0xa0 | bytes;
    else if (head === 2) { b[p] = 0xd9; b[p + 1] = bytes; }
    else if (head === 3) { b[p] = 0xda; b[p + 1] = bytes >>> 8; b[p + 2] = bytes & 0xff; }
    else { b[p] = 0xdb; this.view.setUint32(p + 1, bytes); }
    this.#pos = p + head + bytes;
    return true;
  }
}
