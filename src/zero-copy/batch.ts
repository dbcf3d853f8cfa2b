/**
 * A batch of samples in one PUB (docs/protocol.md, "Zero-copy samples"): the samples one bus
 * published on one topic from one pool in one event-loop turn travel as one frame, codec
 * {@link SAMPLE_BATCH_CODEC}, whose payload is msgpack `[pool, block, length, generation, block,
 * length, generation, ...]`. Why: every frame pays the bus path in each process (decode, route,
 * one ring write per receiver: 0.2-0.35 µs per process per frame, bench/README.md), which was as
 * much as the per-sample code itself; a batch pays it once for up to {@link MAX_BATCH} samples.
 * Both sides agree to use it first (a request on {@link BATCH_TOPIC}): a hub or a peer of
 * earlier code keeps getting one sample per PUB.
 * @module
 */
import { Packr } from 'msgpackr';
import type { Codec } from '../codecs/codec.js';
import { ProtocolError } from '../errors.js';
import { FramePub } from '../bus/protocol/pub-decoder.js';
import { LANE_TOPIC, poolNameAt, SAMPLE_CODEC, type RunPlace } from './descriptor.js';

/** Codec id of a PUB whose payload is a batch of sample descriptors (reserved, below user ids). */
export const SAMPLE_BATCH_CODEC = 126;

/**
 * A bus that speaks batches says so by a request on this topic (payload ignored); a hub that
 * does answers `{ batch: 1 }` on its replyTo, and from then on may send it batches, and takes
 * batches from it. A hub of earlier code has no subscriber there: no answer, no batches.
 */
export const BATCH_TOPIC = '$zc.batch';

/**
 * Most samples a publisher puts in one batch: 256 descriptors of a 45-byte pool name are 3.9 KiB,
 * a frame a socket still writes in place (16 KiB) and a ring record of a few cache lines.
 */
export const MAX_BATCH = 64;

/** Most descriptors a reader accepts in one batch (a peer of other code may send more). */
const MAX_READ = 65_536;

/** The samples of one batch, as read (one object per reader, reused: read its fields at once). */
export class BatchRead {
  pool = '';
  count = 0;
  readonly blocks: number[] = [];
  readonly lengths: number[] = [];
  readonly generations: number[] = [];

  set(i: number, block: number, length: number, generation: number): void {
    this.blocks[i] = block;
    this.lengths[i] = length;
    this.generations[i] = generation;
  }
}

/** The runs of one batch (the value of {@link BatchWriter.codec}): `runs[0, count)`. */
export interface BatchRuns {
  readonly runs: ReadonlyArray<RunPlace | undefined>;
  readonly count: number;
}

/**
 * One pool's batches, written by hand in fixed-width form: array16, the pool name as str8 (made
 * once), then per sample uint32 block, uint32 length, int32 generation (15 bytes).
 */
export class BatchWriter {
  readonly #name: Uint8Array;

  constructor(pool: string) {
    this.#name = new TextEncoder().encode(pool);
    if (this.#name.length > 255) throw new RangeError(`pool name too long: ${pool}`);
  }

  /** Bytes of a batch of `count` samples. */
  sizeOf(count: number): number {
    return 3 + 2 + this.#name.length + 15 * count;
  }

  /** Writes the batch of `runs[0, count)` at `out[at]` ({@link sizeOf} bytes). */
  writeAt(out: Uint8Array, at: number, runs: ReadonlyArray<RunPlace | undefined>, count: number): void {
    const elements = 1 + 3 * count;
    out[at] = 0xdc;
    out[at + 1] = elements >>> 8;
    out[at + 2] = elements & 255;
    out[at + 3] = 0xd9;
    out[at + 4] = this.#name.length;
    out.set(this.#name, at + 5);
    let p = at + 5 + this.#name.length;
    for (let i = 0; i < count; i++) {
      const r = runs[i]!;
      out[p] = 0xce;
      putU32(out, p + 1, r.block);
      out[p + 5] = 0xce;
      putU32(out, p + 6, r.length);
      out[p + 10] = 0xd2;
      putU32(out, p + 11, r.generation >>> 0); // int32: the same four bytes, two's complement
      p += 15;
    }
  }

  /** The batch as a codec (id {@link SAMPLE_BATCH_CODEC}) whose values are {@link BatchRuns}. */
  readonly codec: Codec = {
    id: SAMPLE_BATCH_CODEC,
    name: 'unibus-sample-batch',
    encode: (value) => {
      const b = value as BatchRuns;
      const out = new Uint8Array(this.sizeOf(b.count));
      this.writeAt(out, 0, b.runs, b.count);
      return out;
    },
    decode: (bytes) => bytes,
    sizeOf: (value) => this.sizeOf((value as BatchRuns).count),
    encodeInto: (value, out, at) => {
      const b = value as BatchRuns;
      this.writeAt(out, at, b.runs, b.count);
    },
  };
}

/** Big-endian u32 at `at`. */
function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 255;
  out[at + 2] = (v >>> 8) & 255;
  out[at + 3] = v & 255;
}

/** Big-endian u32 at `at`. */
function u32At(p: Uint8Array, at: number): number {
  return ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

/**
 * Reads the batch in `p[start, end)` into `out`; ProtocolError for anything that is not one (no
 * sample, a name that is not a string, a field that is not an integer, a negative block or length,
 * elements not 1 + 3n). The fixed-width form {@link BatchWriter} writes is read by hand; any other
 * msgpack form through msgpackr.
 */
export function readBatch(p: Uint8Array, start: number, end: number, out: BatchRead): BatchRead {
  if (end - start >= 5 && p[start] === 0xdc && p[start + 3] === 0xd9) {
    const elements = (p[start + 1]! << 8) | p[start + 2]!;
    const len = p[start + 4]!;
    const at = start + 5 + len;
    const count = (elements - 1) / 3;
    if (elements >= 4 && Number.isInteger(count) && at + 15 * count === end) {
      const pool = poolNameAt(p, start + 5, len);
      if (pool !== undefined && fixedWidth(p, at, count)) {
        out.pool = pool;
        out.count = count;
        for (let i = 0, q = at; i < count; i++, q += 15) out.set(i, u32At(p, q + 1), u32At(p, q + 6), u32At(p, q + 11) | 0);
        return out;
      }
    }
  }
  return readOther(p.subarray(start, end), out);
}

/** True when the `count` descriptors from `at` all carry the fixed-width markers. */
function fixedWidth(p: Uint8Array, at: number, count: number): boolean {
  for (let i = 0, q = at; i < count; i++, q += 15) {
    if (p[q] !== 0xce || p[q + 5] !== 0xce || p[q + 10] !== 0xd2) return false;
  }
  return true;
}

/** The general msgpack path of {@link readBatch}. */
function readOther(payload: Uint8Array, out: BatchRead): BatchRead {
  let v: unknown;
  try {
    v = packr.unpack(payload);
  } catch (err) {
    throw new ProtocolError('undecodable sample batch', { cause: err });
  }
  if (!Array.isArray(v) || typeof v[0] !== 'string' || v.length < 4 || (v.length - 1) % 3 !== 0 || v.length > 1 + 3 * MAX_READ) {
    throw new ProtocolError('malformed sample batch: [pool, block, length, generation, ...] expected');
  }
  const count = (v.length - 1) / 3;
  for (let i = 0; i < count; i++) {
    const block = v[1 + 3 * i] as unknown;
    const length = v[2 + 3 * i] as unknown;
    const generation = v[3 + 3 * i] as unknown;
    if (!isUint32(block) || !isUint32(length) || !Number.isInteger(generation) || (generation as number) < -(2 ** 31) || (generation as number) >= 2 ** 32) {
      throw new ProtocolError(`malformed sample batch: descriptor ${i} is not [uint, uint, int]`);
    }
    out.set(i, block, length, (generation as number) | 0);
  }
  out.pool = v[0];
  out.count = count;
  return out;
}

function isUint32(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0 && (x as number) < 2 ** 32;
}

/**
 * {@link readBatch} of a message's payload: in place in its frame when it is a view of one
 * (`FramePub`: no payload view made), else from `payload`.
 */
export function readBatchOf(m: { readonly payload: Uint8Array }, out: BatchRead): BatchRead {
  if (m instanceof FramePub) return readBatch(m.frame, m.payloadStart, m.payloadEnd, out);
  const p = m.payload;
  return readBatch(p, 0, p.length, out);
}

/** True for a frame the hub's zero-copy side handles (a sample, a batch, a lane or batch request): never routed in place. */
export function isZeroCopyFrame(topic: string, codec: number): boolean {
  return codec === SAMPLE_CODEC || codec === SAMPLE_BATCH_CODEC || topic === LANE_TOPIC || topic === BATCH_TOPIC;
}
