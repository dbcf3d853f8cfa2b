/**
 * The msgpack codec's reader for plain data: maps with string keys, arrays, strings, numbers up
 * to 32 bits and float64/float32, booleans, nil and bins, read by hand into exactly the values
 * msgpackr makes of them (same types, same key order, bins as views of the input). Anything else
 * (extensions, 64-bit integers, a `__proto__` key, non-string keys, a truncated or overlong
 * encoding) is not read here: `read` answers NOT_PLAIN and the codec gives the bytes to msgpackr,
 * which decodes them or reports what is wrong, as before.
 *
 * Why: msgpackr's `unpack` costs a fixed ~150-200 ns per call before it reads a byte (state
 * save checks, a DataView made and stored on every new input view, options, the native string
 * extractor's call), which for a 64 B object was most of a receiver's CPU per message: a
 * `{ id, text }` of 64 characters read in ~210 ns here against ~440 ns through msgpackr (CPU
 * microbenchmark, frame views as the transports deliver them).
 * @module
 */

/** `read`'s answer for bytes this reader leaves to msgpackr. */
export const NOT_PLAIN: unique symbol = Symbol('not plain msgpack');

/** Nesting deeper than this is left to msgpackr (it reports a stack overflow as a decode error). */
const MAX_DEPTH = 100;
/** Strings up to this many bytes are built in JavaScript (a native call costs more below it). */
const SHORT_STRING = 8;
/** Map keys up to this many bytes are remembered: the same key decodes to the same string. */
const KEY_CACHE_BYTES = 32;
const KEY_CACHE_SIZE = 1024;

/**
 * UTF-8 to string as V8 does it (invalid sequences become U+FFFD), which is what msgpackr's
 * native string extractor returns too. Node's Buffer method works on any Uint8Array.
 */
const nodeUtf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (this: Uint8Array, start: number, end: number) => string }).utf8Slice;
const decoder = new TextDecoder();
const utf8 = nodeUtf8Slice !== undefined
  ? (b: Uint8Array, start: number, end: number): string => nodeUtf8Slice.call(b, start, end)
  : (b: Uint8Array, start: number, end: number): string => decoder.decode(b.subarray(start, end));

const fromCharCode = String.fromCharCode;

/** Reads plain msgpack values; one per codec (decoding is synchronous; re-entry goes to msgpackr). */
export class PlainReader {
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #end = 0;
  #busy = false;
  /** Big-endian float bytes are copied here and read back as a number. */
  readonly #scratch = new DataView(new ArrayBuffer(8));
  /** Recent map keys by a hash of their length and first bytes: the bytes and the string. */
  readonly #keyBytes: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(KEY_CACHE_SIZE).fill(undefined);
  readonly #keyText: string[] = new Array<string>(KEY_CACHE_SIZE).fill('');

  /** The value encoded in bytes [start, end) of `bytes`, or NOT_PLAIN (then ask msgpackr). */
  read(bytes: Uint8Array, start: number, end: number): unknown {
    if (this.#busy) return NOT_PLAIN;
    this.#busy = true;
    this.#buf = bytes;
    this.#pos = start;
    this.#end = end;
    try {
      const value = this.#value(0);
      return this.#pos === end ? value : NOT_PLAIN;
    } finally {
      this.#buf = EMPTY; // the input is not kept
      this.#busy = false;
    }
  }

  #value(depth: number): unknown {
    const b = this.#buf;
    const p = this.#pos;
    if (p >= this.#end) return NOT_PLAIN;
    const t = b[p]!;
    this.#pos = p + 1;
    if (t < 0x80) return t;
    if (t < 0x90) return this.#map(t & 0x0f, depth);
    if (t < 0xa0) return this.#array(t & 0x0f, depth);
    if (t < 0xc0) return this.#str(t & 0x1f);
    if (t >= 0xe0) return t - 0x100;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.#bin(this.#uint(1));
      case 0xc5: return this.#bin(this.#uint(2));
      case 0xc6: return this.#bin(this.#uint(4));
      case 0xca: return this.#float(4);
      case 0xcb: return this.#float(8);
      case 0xcc: return orNotPlain(this.#uint(1));
      case 0xcd: return orNotPlain(this.#uint(2));
      case 0xce: return orNotPlain(this.#uint(4));
      case 0xd0: { const n = this.#uint(1); return n < 0 ? NOT_PLAIN : (n << 24) >> 24; }
      case 0xd1: { const n = this.#uint(2); return n < 0 ? NOT_PLAIN : (n << 16) >> 16; }
      case 0xd2: { const n = this.#uint(4); return n < 0 ? NOT_PLAIN : n | 0; }
      case 0xd9: return this.#str(this.#uint(1));
      case 0xda: return this.#str(this.#uint(2));
      case 0xdb: return this.#str(this.#uint(4));
      case 0xdc: return this.#array(this.#uint(2), depth);
      case 0xdd: return this.#array(this.#uint(4), depth);
      case 0xde: return this.#map(this.#uint(2), depth);
      case 0xdf: return this.#map(this.#uint(4), depth);
      default: return NOT_PLAIN; // extensions, 64-bit integers, 0xc1
    }
  }

  /** A big-endian unsigned integer of `bytes` bytes, or -1 past the end. */
  #uint(bytes: 1 | 2 | 4): number {
    const b = this.#buf;
    const p = this.#pos;
    if (p + bytes > this.#end) return -1;
    this.#pos = p + bytes;
    if (bytes === 1) return b[p]!;
    if (bytes === 2) return (b[p]! << 8) | b[p + 1]!;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  #float(bytes: 4 | 8): unknown {
    const b = this.#buf;
    const p = this.#pos;
    if (p + bytes > this.#end) return NOT_PLAIN;
    const s = this.#scratch;
    for (let i = 0; i < bytes; i++) s.setUint8(i, b[p + i]!);
    this.#pos = p + bytes;
    return bytes === 4 ? s.getFloat32(0) : s.getFloat64(0);
  }

  #str(n: number): unknown {
    const p = this.#pos;
    const e = p + n;
    if (n < 0 || e > this.#end) return NOT_PLAIN;
    this.#pos = e;
    return text(this.#buf, p, e);
  }

  #bin(n: number): unknown {
    const p = this.#pos;
    if (n < 0 || p + n > this.#end) return NOT_PLAIN;
    this.#pos = p + n;
    // As msgpackr returns it: a view of the input (received frames belong to the receiver).
    return this.#buf.subarray(p, p + n);
  }

  #array(n: number, depth: number): unknown {
    // Every element takes a byte at least: a longer count is a broken encoding (msgpackr's to report).
    if (n < 0 || n > this.#end - this.#pos || depth >= MAX_DEPTH) return NOT_PLAIN;
    const a = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      const v = this.#value(depth + 1);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      a[i] = v;
    }
    return a;
  }

  #map(n: number, depth: number): unknown {
    if (n < 0 || n * 2 > this.#end - this.#pos || depth >= MAX_DEPTH) return NOT_PLAIN;
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.#key();
      // msgpackr renames `__proto__` (it would set the prototype): its rule, so its path.
      if (k === undefined || k === '__proto__') return NOT_PLAIN;
      const v = this.#value(depth + 1);
      if (v === NOT_PLAIN) return NOT_PLAIN;
      o[k] = v;
    }
    return o;
  }

  /** A string key (fixstr from the cache, or str 8/16/32), or undefined for anything else. */
  #key(): string | undefined {
    const b = this.#buf;
    const t = b[this.#pos];
    let n: number;
    if (t === undefined || this.#pos >= this.#end) return undefined;
    this.#pos++;
    if ((t & 0xe0) === 0xa0) n = t & 0x1f;
    else if (t === 0xd9) n = this.#uint(1);
    else if (t === 0xda) n = this.#uint(2);
    else if (t === 0xdb) n = this.#uint(4);
    else return undefined; // numbers and other keys: msgpackr turns them into strings its way
    const p = this.#pos;
    const e = p + n;
    if (n < 0 || e > this.#end) return undefined;
    this.#pos = e;
    if (n > KEY_CACHE_BYTES) return text(b, p, e);
    const h = ((n << 5) ^ (n > 1 ? (b[p]! << 8) | b[p + 1]! : n > 0 ? b[p]! : 0)) & (KEY_CACHE_SIZE - 1);
    const known = this.#keyBytes[h];
    if (known !== undefined && known.length === n) {
      let i = 0;
      while (i < n && known[i] === b[p + i]) i++;
      if (i === n) return this.#keyText[h]!;
    }
    const key = text(b, p, e);
    // A copy (Uint8Array's slice, also on a Buffer, whose own slice is a view): the input may be reused.
    this.#keyBytes[h] = Uint8Array.prototype.slice.call(b, p, e);
    this.#keyText[h] = key;
    return key;
  }
}

const EMPTY = new Uint8Array(0);

/** `#uint`'s -1 (past the end) as NOT_PLAIN. */
function orNotPlain(n: number): unknown {
  return n < 0 ? NOT_PLAIN : n;
}

/** The string of UTF-8 bytes [p, e) of `b`. */
function text(b: Uint8Array, p: number, e: number): string {
  if (e - p <= SHORT_STRING) {
    let s = '';
    for (let i = p; i < e; i++) {
      const c = b[i]!;
      if (c >= 0x80) return utf8(b, p, e);
      s += fromCharCode(c);
    }
    return s;
  }
  return utf8(b, p, e);
}
