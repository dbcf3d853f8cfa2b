/**
 * The parts of the MessagePack format that unibus writes and reads by hand, in one place: the
 * msgpack codec's byte-array fast path, the PUB encoder and the PUB decoder use these cursors
 * instead of msgpackr where a message's shape is known (msgpackr costs a call setup and checks
 * per value). Every form written is the smallest one, as msgpackr writes it, so peers cannot
 * tell the paths apart. A cursor is an object its owner keeps (no module-level position), and
 * it does no I/O: it writes into, or reads from, a buffer it is pointed at.
 *
 * @example
 * ```ts
 * const out = new Uint8Array(16);
 * const w = new MsgpackWriter().at(out, 0);
 * w.array(2); w.uint(300); w.binHeader(3); w.raw(new Uint8Array([1, 2, 3]));
 * const r = new MsgpackReader().at(out, 1);
 * r.uint();      // 300
 * r.binHeader(); // 3: the bytes are out[r.pos .. r.pos + 3)
 * ```
 * @module
 */

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

/** Bytes of a non-negative integer as `MsgpackWriter.uint` writes it. */
export function uintSize(n: number): number {
  return n < 128 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 2 ** 32 ? 5 : 9;
}

/** Bytes of the header of a `bin` of `n` bytes. */
export function binHeaderSize(n: number): number {
  return n < 256 ? 2 : n < 65536 ? 3 : 5;
}

/** Bytes of the header of a `str` of `n` UTF-8 bytes. */
export function strHeaderSize(n: number): number {
  return n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
}

/** A position in a buffer, owned by whoever reads or writes there. */
class Cursor {
  buf: Uint8Array = EMPTY;
  pos = 0;

  /** Points the cursor at `buf[pos]`. */
  at(buf: Uint8Array, pos: number): this {
    this.buf = buf;
    this.pos = pos;
    return this;
  }
}

/** Writes msgpack at `buf[pos]`, advancing `pos`. The caller sizes `buf` (see the *Size functions). */
export class MsgpackWriter extends Cursor {
  /** An array header for `n` elements (fixarray, array 16, array 32). */
  array(n: number): void {
    const b = this.buf;
    const p = this.pos;
    if (n < 16) { b[p] = 0x90 | n; this.pos = p + 1; }
    else if (n < 65536) { b[p] = 0xdc; b[p + 1] = n >>> 8; b[p + 2] = n & 0xff; this.pos = p + 3; }
    else { b[p] = 0xdd; this.#u32(p + 1, n); this.pos = p + 5; }
  }

  nil(): void {
    this.buf[this.pos++] = 0xc0;
  }

  /** A non-negative integer in its smallest form; from 2^32 a float64, exact up to 2^53. */
  uint(n: number): void {
    const b = this.buf;
    const p = this.pos;
    if (n < 128) { b[p] = n; this.pos = p + 1; }
    else if (n < 256) { b[p] = 0xcc; b[p + 1] = n; this.pos = p + 2; }
    else if (n < 65536) { b[p] = 0xcd; b[p + 1] = n >>> 8; b[p + 2] = n & 0xff; this.pos = p + 3; }
    else if (n < 2 ** 32) { b[p] = 0xce; this.#u32(p + 1, n); this.pos = p + 5; }
    else {
      b[p] = 0xcb;
      new DataView(b.buffer, b.byteOffset).setFloat64(p + 1, n);
      this.pos = p + 9;
    }
  }

  /** A str header for `n` UTF-8 bytes (fixstr, str 8, str 16, str 32); the bytes follow. */
  strHeader(n: number): void {
    const b = this.buf;
    const p = this.pos;
    if (n < 32) { b[p] = 0xa0 | n; this.pos = p + 1; }
    else if (n < 256) { b[p] = 0xd9; b[p + 1] = n; this.pos = p + 2; }
    else if (n < 65536) { b[p] = 0xda; b[p + 1] = n >>> 8; b[p + 2] = n & 0xff; this.pos = p + 3; }
    else { b[p] = 0xdb; this.#u32(p + 1, n); this.pos = p + 5; }
  }

  /** A bin header for `n` bytes in its smallest form (bin 8, bin 16, bin 32); the bytes follow. */
  binHeader(n: number): void {
    const b = this.buf;
    const p = this.pos;
    if (n < 256) { b[p] = 0xc4; b[p + 1] = n; this.pos = p + 2; }
    else if (n < 65536) { b[p] = 0xc5; b[p + 1] = n >>> 8; b[p + 2] = n & 0xff; this.pos = p + 3; }
    else this.bin32Header(n);
  }

  /** A bin 32 header whatever `n` (5 bytes: for a header written before its length is small enough to know). */
  bin32Header(n: number): void {
    this.buf[this.pos] = 0xc6;
    this.#u32(this.pos + 1, n);
    this.pos += 5;
  }

  /** Bytes copied as they are: msgpack encoded already (a cached str), or a bin's body. */
  raw(bytes: Uint8Array): void {
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Big-endian 32 bits at `buf[p]`. */
  #u32(p: number, n: number): void {
    const b = this.buf;
    b[p] = n >>> 24; b[p + 1] = (n >>> 16) & 0xff; b[p + 2] = (n >>> 8) & 0xff; b[p + 3] = n & 0xff;
  }
}

/** The msgpack `str` of `text` (header and UTF-8), in a buffer of its own: for encodings that are cached. */
export function encodeStr(text: string): Uint8Array {
  const body = utf8.encode(text);
  const out = new Uint8Array(strHeaderSize(body.length) + body.length);
  const w = new MsgpackWriter().at(out, 0);
  w.strHeader(body.length);
  w.raw(body);
  return out;
}

/**
 * Reads msgpack at `buf[pos]`, advancing `pos`. Each read returns -1 and leaves `pos` where it
 * was when the next value is not of the kind asked for; lengths are not checked against the
 * buffer (the caller knows what running past it means for its format).
 */
export class MsgpackReader extends Cursor {
  /** Takes a nil if one is next. */
  nil(): boolean {
    if (this.buf[this.pos] !== 0xc0) return false;
    this.pos++;
    return true;
  }

  /**
   * A non-negative integer (fixint, uint 8/16/32, or a float64 holding one, as `uint` writes
   * past 2^32), or -1. A uint cut short by the buffer's end reads as garbage (NaN or undefined),
   * and `pos` passes the end: the caller's bounds check on what follows catches it.
   */
  uint(): number {
    const f = this.buf;
    const p = this.pos;
    const b = f[p]!;
    if (b < 0x80) { this.pos = p + 1; return b; }
    if (b === 0xcc) { this.pos = p + 2; return f[p + 1]!; }
    if (b === 0xcd) { this.pos = p + 3; return (f[p + 1]! << 8) | f[p + 2]!; }
    if (b === 0xce) { this.pos = p + 5; return this.#u32(p + 1); }
    if (b === 0xcb) {
      if (p + 9 > f.length) return -1;
      const v = new DataView(f.buffer, f.byteOffset + p + 1, 8).getFloat64(0);
      this.pos = p + 9;
      return Number.isInteger(v) && v >= 0 ? v : -1;
    }
    return -1;
  }

  /** The byte length of the str whose header is next (`pos` is left at its first byte), or -1. */
  strHeader(): number {
    const f = this.buf;
    const p = this.pos;
    const b = f[p]!;
    if ((b & 0xe0) === 0xa0) { this.pos = p + 1; return b & 0x1f; }
    if (b === 0xd9) { this.pos = p + 2; return f[p + 1]!; }
    if (b === 0xda) { this.pos = p + 3; return (f[p + 1]! << 8) | f[p + 2]!; }
    if (b === 0xdb) { this.pos = p + 5; return this.#u32(p + 1); }
    return -1;
  }

  /** The byte length of the bin whose header is next (`pos` is left at its first byte), or -1. */
  binHeader(): number {
    const f = this.buf;
    const p = this.pos;
    const b = f[p]!;
    if (b === 0xc4) { this.pos = p + 2; return f[p + 1]!; }
    if (b === 0xc5) { this.pos = p + 3; return (f[p + 1]! << 8) | f[p + 2]!; }
    if (b === 0xc6) { this.pos = p + 5; return this.#u32(p + 1); }
    return -1;
  }

  /** Big-endian unsigned 32 bits at `buf[p]`. */
  #u32(p: number): number {
    const f = this.buf;
    return ((f[p]! << 24) >>> 0) + (f[p + 1]! << 16) + (f[p + 2]! << 8) + f[p + 3]!;
  }
}
