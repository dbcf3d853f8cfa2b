/** The msgpack wire helpers: the hand-written `bin` path and the codec that falls back to msgpackr. */
import fc from 'fast-check';
import { BinPayloads } from '../../../src/codecs/msgpack-bytes.js';
import { msgpackCodec } from '../../../src/codecs/msgpack.js';
import { jsonCodec } from '../../../src/codecs/json.js';
import { CodecError } from '../../../src/errors.js';
import { bytesInput, expect, instanceOfAny, sameBytes, type FuzzTarget } from '../target.js';

/** The byte-array path as the codec uses it, with a slab and cursors of its own. */
const bins = new BinPayloads();
const encodeBin = (bytes: Uint8Array): Uint8Array => bins.encode(bytes);
const decodeBin = (bytes: Uint8Array): Uint8Array | undefined => bins.decode(bytes);

const binOf = fc.uint8Array({ maxLength: 300 }).map(encodeBin);
const valueOf = fc.anything({ maxDepth: 3, withNullPrototype: false }).map((v) => msgpackCodec.encode(v));

interface Input { bytes: Uint8Array; start: number; end: number }

export const msgpackDecode: FuzzTarget<Input> = {
  name: 'codec.msgpack-decode',
  input: fc.record({ bytes: bytesInput(fc.oneof(binOf, valueOf), 400), start: fc.nat(8), end: fc.nat(8) }),
  run({ bytes, start, end }) {
    // decodeBin never throws: a view of exactly the bin's bytes, or undefined.
    const bin = decodeBin(bytes);
    if (bin !== undefined) expect(bin.length + (bytes.length - bin.length) === bytes.length && bin.length < bytes.length, 'decodeBin view');
    // decodeAt on a sub-range, as received frames are read in place.
    const s = Math.min(start, bytes.length);
    const e = Math.max(s, bytes.length - end);
    msgpackCodec.decodeAt!(bytes, s, e);
    msgpackCodec.decode(bytes);
  },
  typed: instanceOfAny(CodecError),
};

export const binRoundTrip: FuzzTarget<Uint8Array> = {
  name: 'codec.bin-round-trip',
  input: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 65530, max: 65540 }).map((n) => new Uint8Array(n).fill(7))),
  run(bytes) {
    const enc = encodeBin(bytes);
    const fast = decodeBin(enc);
    expect(fast !== undefined && sameBytes(fast, bytes), 'decodeBin(encodeBin(x)) !== x');
    const viaCodec = msgpackCodec.decode(enc);
    expect(viaCodec instanceof Uint8Array && sameBytes(viaCodec, bytes), 'codec decode of a bin');
  },
  typed: () => false,
};

export const jsonDecode: FuzzTarget<Uint8Array> = {
  name: 'codec.json-decode',
  input: bytesInput(fc.jsonValue({ maxDepth: 3 }).map((v) => jsonCodec.encode(v)), 300),
  run(bytes) { jsonCodec.decode(bytes); },
  typed: instanceOfAny(CodecError),
};
