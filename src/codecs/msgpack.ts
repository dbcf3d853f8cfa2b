/**
 * msgpack via msgpackr, the default codec. Plain MessagePack (no record extension), so any
 * msgpack library in any language reads it.
 *
 * Aliasing: `pack` returns a view of msgpackr's output buffer, which msgpackr never overwrites
 * (it allocates a new one when full), so the bytes stay valid while a transport holds them.
 * `unpack` returns binary values as views of the input; the input is a received frame, which
 * the transport contract says belongs to the receiver, so nothing aliases reusable memory.
 * A value that is a `Uint8Array` skips msgpackr both ways (msgpack-bytes.ts: same bytes); plain
 * data (maps, arrays, strings, numbers) is read without it (msgpack-plain-read.ts: same values).
 * `sizeOf`/`encodeInto` pack other values into a scratch buffer and copy them out
 * (msgpack-sized.ts): the publish paths write them in place with no view or buffer of their own.
 * @module
 */
import { Packr } from 'msgpackr';
import { CodecError } from '../errors.js';
import { CodecId, type Codec } from './codec.js';
import { BinPayloads, binSize } from './msgpack-bytes.js';
import { SizedPacks } from './msgpack-sized.js';
import { NOT_PLAIN, PlainReader } from './msgpack-plain-read.js';

const OPTIONS = { useRecords: false, moreTypes: false, mapsAsObjects: true };
const packr = new Packr(OPTIONS);
/** Other values sized, then written in place (publish paths): a scratch of their own, no view per value. */
const sized = new SizedPacks(OPTIONS);
/** The codec's own slab and cursors for byte-array values. */
const bins = new BinPayloads();
/** Plain data (maps, arrays, strings, numbers...) read by hand; the rest goes to msgpackr. */
const plain = new PlainReader();

export const msgpackCodec: Codec = {
  id: CodecId.msgpack,
  name: 'msgpack',
  encode(value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return bins.encode(value);
    try {
      return packr.pack(value);
    } catch (err) {
      throw new CodecError(`msgpack cannot encode this value: ${(err as Error).message}`, { cause: err });
    }
  },
  sizeOf(value: unknown): number {
    if (value instanceof Uint8Array) return binSize(value.length);
    try {
      return sized.size(value);
    } catch (err) {
      throw new CodecError(`msgpack cannot encode this value: ${(err as Error).message}`, { cause: err });
    }
  },
  encodeInto(value: unknown, out: Uint8Array, at: number): void {
    if (value instanceof Uint8Array) bins.write(value, out, at);
    else sized.write(value, out, at);
  },
  decodeAt(bytes: Uint8Array, start: number, end: number): unknown {
    return unpackRange(bytes, start, end);
  },
  decode(bytes: Uint8Array): unknown {
    return unpackRange(bytes, 0, bytes.length);
  },
};

/** The value encoded in bytes [start, end) of `bytes`. */
function unpackRange(bytes: Uint8Array, start: number, end: number): unknown {
  const bin = bins.decode(bytes, start, end);
  if (bin !== undefined) return bin;
  const value = plain.read(bytes, start, end);
  if (value !== NOT_PLAIN) return value;
  try {
    if (start === 0 && end === bytes.length) return packr.unpack(bytes);
    // msgpackr reads `end: 0` as "to the end": an empty range goes as an empty view.
    return end > start ? packr.unpack(bytes, { start, end }) : packr.unpack(bytes.subarray(start, end));
  } catch (err) {
    throw new CodecError(`msgpack cannot decode ${end - start} bytes: ${(err as Error).message}`, { cause: err });
  }
}
