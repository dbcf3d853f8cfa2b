/** The msgpack wire helpers: the hand-written `bin` path and the codec that falls back to msgpackr. */
import fc from 'fast-check';
import { BinPayloads } from '../../../src/codecs/msgpack-bytes.js';
import { msgpackCodec } from '../../../src/codecs/msgpack.js';
import { NOT_PLAIN, PlainReader } from '../../../src/codecs/msgpack-plain-read.js';
import { PlainWriter } from '../../../src/codecs/msgpack-plain-write.js';
import { Packr } from 'msgpackr';
import { sameValue } from '../../helpers/same-value.js';
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

const msgpackr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const reader = new PlainReader();
/** Plain data with any UTF-16 (lone surrogates included) in keys and strings, and every number width. */
const plainValue = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 70 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
    fc.uint8Array({ maxLength: 40 }), fc.array(tie('v'), { maxLength: 8 }), fc.dictionary(fc.string({ unit: 'binary', maxLength: 12 }), tie('v'), { maxKeys: 8 })),
})).v;
const encoded = fc.oneof(plainValue, fc.anything({ maxDepth: 3, withNullPrototype: false }))
  .map((v) => { try { return new Uint8Array(msgpackr.pack(v)); } catch { return new Uint8Array([0xc0]); } });

/**
 * The codec's hand reader of plain data against msgpackr, on valid and broken encodings: it
 * either leaves the bytes to msgpackr (NOT_PLAIN) or reads exactly msgpackr's value, and never
 * reads a value from bytes msgpackr refuses.
 */
export const plainRead: FuzzTarget<Input> = {
  name: 'codec.plain-read',
  input: fc.record({ bytes: bytesInput(encoded, 300), start: fc.nat(4), end: fc.nat(4) }),
  run({ bytes, start, end }) {
    const s = Math.min(start, bytes.length);
    const e = Math.max(s, bytes.length - end);
    const got = reader.read(bytes, s, e);
    if (got === NOT_PLAIN) return;
    let want: unknown;
    try {
      want = msgpackr.unpack(bytes, { start: s, end: e });
    } catch (err) {
      expect(false, `read a value from bytes msgpackr refuses (${(err as Error).message})`);
    }
    const diff = sameValue(got, want);
    expect(diff === undefined, `not msgpackr's value: ${diff}`);
  },
  typed: () => false,
};

const writer = new PlainWriter();

/**
 * The codec's hand writer of plain data against msgpackr: for any value it either leaves it to
 * msgpackr (-1) or writes exactly msgpackr's bytes, and never writes what msgpackr refuses.
 */
export const plainWrite: FuzzTarget<unknown> = {
  name: 'codec.plain-write',
  input: fc.oneof(plainValue, fc.anything({ maxDepth: 3, withBigInt: true, withDate: true, withMap: true, withSet: true,
    withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBoxedValues: true })),
  run(value) {
    const n = writer.write(value);
    if (n < 0) return;
    let want: Uint8Array | undefined;
    try {
      want = msgpackr.pack(value);
    } catch (err) {
      expect(false, `wrote a value msgpackr refuses (${(err as Error).message})`);
    }
    expect(sameBytes(writer.bytes.subarray(0, n), want!), 'not msgpackr\'s bytes');
  },
  typed: () => false,
};
