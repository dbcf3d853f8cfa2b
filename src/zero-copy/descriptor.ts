/**
 * What crosses the hub for a zero-copy sample: an ordinary PUB whose codec id is
 * {@link SAMPLE_CODEC} and whose payload is a small descriptor (docs/protocol.md, "Zero-copy
 * samples"), so routing, queue groups, flush and policy treat it like any message. And the one
 * request a bus makes of its hub to take part: {@link LANE_TOPIC}, answered with its lane.
 * @module
 */
import { Packr } from 'msgpackr';
import { ProtocolError } from '../errors.js';
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

/** Reads a descriptor; ProtocolError for anything else. */
export function decodeDescriptor(payload: Uint8Array): SampleDescriptor {
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
