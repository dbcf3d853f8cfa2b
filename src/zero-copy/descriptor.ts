/**
 * What crosses the hub for a zero-copy sample: an ordinary PUB whose codec id is
 * {@link SAMPLE_CODEC} and whose payload is a small descriptor (docs/protocol.md, "Zero-copy
 * samples"), so routing, queue groups, flush and policy treat it like any message. And the one
 * request a bus makes of its hub to take part: {@link LANE_TOPIC}, answered with its lane.
 * @module
 */
import { Packr } from 'msgpackr';
import type { Codec } from '../codecs/codec.js';
import { ProtocolError } from '../errors.js';
import { FramePub } from '../bus/protocol/pub-decoder.js';
import { MAX_LANE } from './pool-layout.js';

/** Codec id of a PUB that carries a sample descriptor instead of data (reserved, below user ids). */
export const SAMPLE_CODEC = 127;

/**
 * A bus asks its hub for a receiver lane by a request on this topic; the hub answers
 * `{ lane }` (1-63, or 0 when every lane is taken: that bus then gets copies).
 */
export const LANE_TOPIC = '$zc.lane';

/** Where a sample lies: pool name, first block, byte length, generation of that block. */
export interface SampleDescriptor {
  readonly pool: string;
  readonly block: number;
  readonly length: number;
  readonly generation: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

/** msgpack `[pool, block, length, generation]`. */
export function encodeDescriptor(d: SampleDescriptor): Uint8Array {
  return packr.pack([d.pool, d.block, d.length, d.generation]);
}

/**
 * The descriptors of one pool, written by hand: the same msgpack as {@link encodeDescriptor}
 * with the pool name's bytes made once and the numbers in fixed-width form (uint32, uint32,
 * int32), so a sample costs one small allocation instead of a general msgpack encode.
 */
export class DescriptorWriter {
  readonly #head: Uint8Array;
  /**
   * Descriptors are cut from a shared slab: V8 gives a typed array over 64 bytes (a descriptor
   * with a pool name past ~46 characters) a backing store of its own, one malloc per sample.
   * Each descriptor keeps its own bytes (a publish held while the hub is away keeps them).
   */
  #slab = new Uint8Array(0);
  #slabAt = 0;

  constructor(pool: string) {
    const name = new TextEncoder().encode(pool);
    if (name.length > 255) throw new RangeError(`pool name too long: ${pool}`);
    this.#head = new Uint8Array([0x94, 0xd9, name.length, ...name]);
  }

  /** Bytes of every descriptor of this pool. */
  get size(): number {
    return this.#head.length + 15;
  }

  encode(block: number, length: number, generation: number): Uint8Array {
    const size = this.size;
    if (this.#slabAt + size > this.#slab.length) {
      this.#slab = new Uint8Array(Math.max(DESCRIPTOR_SLAB_BYTES, size));
      this.#slabAt = 0;
    }
    const at = this.#slabAt;
    this.#slabAt += size;
    this.writeAt(this.#slab, at, block, length, generation);
    return this.#slab.subarray(at, at + size);
  }

  /** Writes a descriptor ({@link size} bytes) at `out[at]`: in place in a connection's buffer. */
  writeAt(out: Uint8Array, at: number, block: number, length: number, generation: number): void {
    const h = at + this.#head.length;
    out.set(this.#head, at);
    out[h] = 0xce;
    putU32(out, h + 1, block);
    out[h + 5] = 0xce;
    putU32(out, h + 6, length);
    out[h + 10] = 0xd2;
    putU32(out, h + 11, generation >>> 0); // int32: the same four bytes, two's complement
  }

  /**
   * This pool's descriptors as a codec whose values are runs (`{ block, length, generation }`,
   * codec id {@link SAMPLE_CODEC}): the bus writes a descriptor straight into its connection's
   * buffer (no descriptor allocated, no copy), or encodes it when the publish is held.
   */
  readonly codec: Codec = {
    id: SAMPLE_CODEC,
    name: 'unibus-sample',
    encode: (run) => {
      const r = run as RunPlace;
      return this.encode(r.block, r.length, r.generation);
    },
    decode: (bytes) => bytes,
    sizeOf: () => this.size,
    encodeInto: (run, out, at) => {
      const r = run as RunPlace;
      this.writeAt(out, at, r.block, r.length, r.generation);
    },
  };
}

/** Where a published run lies (the value of {@link DescriptorWriter.codec}). */
export interface RunPlace {
  readonly block: number;
  readonly length: number;
  readonly generation: number;
}

/** Bytes of one descriptor slab (about 60 to 280 descriptors). */
const DESCRIPTOR_SLAB_BYTES = 16 * 1024;

/** Big-endian u32 at `at`. */
function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 255;
  out[at + 2] = (v >>> 8) & 255;
  out[at + 3] = v & 255;
}

/** The last pool name decoded, as bytes and string: a receiver sees the same few pools again and again. */
let lastName: { bytes: Uint8Array; text: string } | undefined;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a descriptor; ProtocolError for anything else. The common shape (fixarray of 4, a str8
 * or fixstr name, integer fields) is read by hand; anything else goes through msgpackr.
 */
export function decodeDescriptor(payload: Uint8Array): SampleDescriptor {
  const into = { pool: '', block: 0, length: 0, generation: 0 };
  return decodeCommon(payload, 0, payload.length, into) ? into : decodeOther(payload);
}

/** What {@link readDescriptor} fills (one object, reused). */
const shared = { pool: '', block: 0, length: 0, generation: 0 };

/**
 * {@link decodeDescriptor} into one shared object, valid until the next call: for the hub and
 * the receivers, which read its fields at once (an object per sample otherwise).
 */
export function readDescriptor(payload: Uint8Array): SampleDescriptor {
  return decodeCommon(payload, 0, payload.length, shared) ? shared : decodeOther(payload);
}

/**
 * A sample PUB the hub's router hands its own bus (../zero-copy/hub-samples.ts): the frame's PUB
 * with the receiving lane and the descriptor the router read and checked (the receiver in the
 * same process does not read it again from the frame).
 */
export class DescribedFramePub extends FramePub implements SampleDescriptor {
  readonly lane: number;
  readonly pool: string;
  readonly block: number;
  readonly length: number;
  readonly generation: number;

  constructor(p: FramePub, lane: number, d: SampleDescriptor) {
    super(p.topic, p.codec, p.publisher, p.seq, p.replyTo, p.frame, p.payloadStart, p.payloadEnd);
    this.lane = lane;
    this.pool = d.pool;
    this.block = d.block;
    this.length = d.length;
    this.generation = d.generation;
  }
}

/**
 * {@link readDescriptor} of a sample message's payload (the hub's PUB or a receiver's message):
 * read where it lies in its frame when the message is a view of one (`FramePub`: no payload view
 * made per sample), else from `payload`. The same shared object, read its fields at once; a
 * {@link DescribedFramePub} is its own descriptor.
 */
export function readDescriptorOf(m: { readonly payload: Uint8Array }): SampleDescriptor {
  if (m instanceof DescribedFramePub) return m;
  if (m instanceof FramePub && decodeCommon(m.frame, m.payloadStart, m.payloadEnd, shared)) return shared;
  return readDescriptor(m.payload);
}

/** The general msgpack path of {@link decodeDescriptor}. */
function decodeOther(payload: Uint8Array): SampleDescriptor {
  let v: unknown;
  try {
    v = packr.unpack(payload);
  } catch (err) {
    throw new ProtocolError('undecodable sample descriptor', { cause: err });
  }
  if (!Array.isArray(v) || typeof v[0] !== 'string' || !isUint(v[1]) || !isUint(v[2]) || !Number.isInteger(v[3])) {
    throw new ProtocolError('malformed sample descriptor');
  }
  return { pool: v[0], block: v[1], length: v[2], generation: v[3] as number };
}

/** The hand-read path of {@link decodeDescriptor} of `p[start, end)` into `out`; false when the shape is not the common one. */
function decodeCommon(p: Uint8Array, start: number, end: number, out: { pool: string; block: number; length: number; generation: number }): boolean {
  if (end - start < 5 || p[start] !== 0x94) return false;
  intLimit = end;
  let at = start + 1;
  let len: number;
  const t = p[at]!;
  if (t >= 0xa0 && t <= 0xbf) { len = t - 0xa0; at += 1; }
  else if (t === 0xd9) { len = p[at + 1]!; at += 2; }
  else return false;
  if (at + len > end) return false;
  const pool = poolNameAt(p, at, len);
  if (pool === undefined) return false;
  at += len;
  if (at + 15 === end && p[at] === 0xce && p[at + 5] === 0xce && p[at + 10] === 0xd2) {
    // The fixed-width form DescriptorWriter writes: read straight, no per-integer dispatch.
    out.pool = pool;
    out.block = u32At(p, at + 1);
    out.length = u32At(p, at + 6);
    out.generation = u32At(p, at + 11) | 0;
    return true;
  }
  // Three integers read into locals (no array, no DataView: a sample allocated both here).
  const block = intAt(p, at);
  if (block === undefined) return false;
  at = intEnd;
  const length = intAt(p, at);
  if (length === undefined) return false;
  at = intEnd;
  const generation = intAt(p, at);
  if (generation === undefined || intEnd !== end) return false;
  if (block < 0 || length < 0) throw new ProtocolError('malformed sample descriptor');
  out.pool = pool;
  out.block = block;
  out.length = length;
  out.generation = generation;
  return true;
}

/** Where the integer last read by {@link intAt} ended (a module-level out value: no tuple per read). */
let intEnd = 0;
/** Where the descriptor being read ends (set by decodeCommon: intAt reads nothing past it). */
let intLimit = 0;

/** The msgpack integer at p[at] (sets intEnd past it); undefined when it is not one or is cut. */
function intAt(p: Uint8Array, at: number): number | undefined {
  const n = intLimit;
  if (at >= n) return undefined;
  const b = p[at]!;
  if (b <= 0x7f) { intEnd = at + 1; return b; }
  if (b >= 0xe0) { intEnd = at + 1; return b - 0x100; }
  switch (b) {
    case 0xcc: if (at + 2 > n) return undefined; intEnd = at + 2; return p[at + 1]!;
    case 0xcd: if (at + 3 > n) return undefined; intEnd = at + 3; return (p[at + 1]! << 8) | p[at + 2]!;
    case 0xce: if (at + 5 > n) return undefined; intEnd = at + 5; return u32At(p, at + 1);
    case 0xd0: if (at + 2 > n) return undefined; intEnd = at + 2; return (p[at + 1]! << 24) >> 24;
    case 0xd1: if (at + 3 > n) return undefined; intEnd = at + 3; return (((p[at + 1]! << 8) | p[at + 2]!) << 16) >> 16;
    case 0xd2: if (at + 5 > n) return undefined; intEnd = at + 5; return u32At(p, at + 1) | 0;
    default: return undefined;
  }
}

/** Big-endian u32 at `at`. */
function u32At(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

/**
 * The pool name at p[at, at+len), reusing the last decoded string when the bytes are the same
 * (undefined: not UTF-8). Also read by the batch reader (./batch.ts).
 */
export function poolNameAt(p: Uint8Array, at: number, len: number): string | undefined {
  const last = lastName;
  if (last && last.bytes.length === len) {
    // Branch-free, four bytes a step: a byte-by-byte loop with an exit per byte was most of a
    // descriptor's read (57 of 73 ns for a 45-byte name; 42 ns this way).
    const k = last.bytes;
    let diff = 0;
    let i = 0;
    for (; i + 4 <= len; i += 4) {
      const j = at + i;
      diff |= (k[i]! ^ p[j]!) | (k[i + 1]! ^ p[j + 1]!) | (k[i + 2]! ^ p[j + 2]!) | (k[i + 3]! ^ p[j + 3]!);
    }
    for (; i < len; i++) diff |= k[i]! ^ p[at + i]!;
    if (diff === 0) return last.text;
  }
  const bytes = p.slice(at, at + len);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined; // not UTF-8: msgpackr reports it
  }
  lastName = { bytes, text };
  return text;
}

function isUint(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

/** The hub's answer to a lane request. */
export function encodeLane(lane: number): Uint8Array {
  return packr.pack({ lane });
}

/** Reads a lane answer (0 for anything unexpected: copies are always correct). */
export function decodeLane(payload: Uint8Array): number {
  try {
    const v = packr.unpack(payload) as { lane?: unknown };
    return Number.isInteger(v?.lane) && (v.lane as number) >= 1 && (v.lane as number) <= MAX_LANE ? v.lane as number : 0;
  } catch {
    return 0;
  }
}
