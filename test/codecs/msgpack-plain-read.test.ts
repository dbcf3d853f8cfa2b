/**
 * The msgpack codec reads plain data by hand (src/codecs/msgpack-plain-read.ts): every value it
 * reads must be exactly msgpackr's (types, key order, strings from any bytes, bins as views of the
 * input), and everything else must still reach msgpackr (its values and its errors). The fuzz
 * target `codec.plain-read` checks the same against broken encodings.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { msgpackCodec } from '../../src/codecs/msgpack.js';
import { NOT_PLAIN, PlainReader } from '../../src/codecs/msgpack-plain-read.js';
import { CodecError } from '../../src/errors.js';
import { sameValue } from '../helpers/same-value.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/ /g, ''), 'hex'));

/** Values of every plain kind and every width of each. */
const PLAIN: unknown[] = [
  null, true, false, 0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31),
  1.5, -0.25, 2 ** 40, -(2 ** 40), Number.MAX_VALUE, NaN, Infinity, -Infinity, '', 'a', 'short', 'x'.repeat(31), 'x'.repeat(32),
  'y'.repeat(255), 'y'.repeat(256), 'z'.repeat(70_000), 'é✓😀', '\ud800 lone', { id: 42, text: 'x'.repeat(64) }, {}, [], [1, [2, [3]]],
  new Array(20).fill('a'), new Array(70_000).fill(1), { nested: { deep: { list: [{ a: 1 }, { b: 'é' }] } }, '1': 'one', b: 2 },
  { bytes: new Uint8Array([1, 2, 3]), big: new Uint8Array(300), huge: new Uint8Array(70_000) },
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])), { 'é✓': 1, ['k'.repeat(40)]: 2 },
];

test('every plain value reads as msgpackr reads it, at any offset of a larger buffer', () => {
  const reader = new PlainReader();
  for (const v of PLAIN) {
    const enc = msgpackr(v);
    const buf = new Uint8Array(enc.length + 7).fill(0xc1);
    buf.set(enc, 3);
    const got = reader.read(buf, 3, 3 + enc.length);
    assert.ok(got !== NOT_PLAIN, `read by hand: ${JSON.stringify(v)?.slice(0, 40)}`);
    const diff = sameValue(got, packr.unpack(buf, { start: 3, end: 3 + enc.length }));
    assert.is(diff, undefined, `${JSON.stringify(v)?.slice(0, 40)}: ${diff}`);
  }
});

function msgpackr(v: unknown): Uint8Array {
  return new Uint8Array(packr.pack(v));
}

test('strings from any bytes, invalid UTF-8 included, are the strings msgpackr makes', () => {
  const reader = new PlainReader();
  for (const body of ['c3', 'ff fe', 'ed a0 80', 'e2 9c', 'f0 9f 98', '61 80 62', 'c0 af', 'f4 90 80 80']) {
    const b = hex(body);
    for (const head of [[0xa0 | b.length], [0xd9, b.length]]) {
      const enc = new Uint8Array([...head, ...b]);
      assert.is(reader.read(enc, 0, enc.length), packr.unpack(enc), `str ${body}`);
      const map = new Uint8Array([0x81, ...head, ...b, 0x07]); // the same bytes as a key
      assert.is(sameValue(reader.read(map, 0, map.length), packr.unpack(map)), undefined, `key ${body}`);
    }
  }
});

test('what is not plain is left to msgpackr: extensions, 64-bit integers, __proto__, number keys, broken bytes', () => {
  const reader = new PlainReader();
  const left = [
    msgpackr(new Date(0)), msgpackr(2n ** 60n), msgpackr(-(2n ** 60n)), msgpackr(undefined), hex('81 a9 5f5f70726f746f5f5f 01'),
    hex('81 01 02'), hex('c1'), hex('d9 05 61 62'), hex('92 01'), hex('dc ff ff 01'), hex('81 a1 61'), hex('01 02'), hex(''),
    hex('cd 01'), hex('ca 00 00'), hex('c4 05 01'),
  ];
  for (const enc of left) assert.is(reader.read(enc, 0, enc.length), NOT_PLAIN, Buffer.from(enc).toString('hex'));
  // Through the codec they are msgpackr's: its values...
  assert.is(sameValue(msgpackCodec.decode(msgpackr({ when: new Date(5) })), { when: new Date(5) }), undefined);
  assert.is(msgpackCodec.decode(msgpackr(2n ** 60n)), 2n ** 60n);
  assert.equal(Object.keys(msgpackCodec.decode(hex('81 a9 5f5f70726f746f5f5f 01')) as object), ['__proto_']);
  assert.equal(msgpackCodec.decode(hex('81 01 02')), { 1: 2 });
  // ...and its errors, as CodecError.
  for (const broken of [hex('d9 05 61 62'), hex('92 01'), hex('01 02'), hex('cd 01')]) {
    assert.throws(() => msgpackCodec.decode(broken), (e: unknown) => e instanceof CodecError, Buffer.from(broken).toString('hex'));
  }
});

test('nesting past the reader depth goes to msgpackr and still decodes', () => {
  let v: unknown = 'leaf';
  for (let i = 0; i < 150; i++) v = i % 2 ? [v] : { v };
  const enc = msgpackr(v);
  assert.is(new PlainReader().read(enc, 0, enc.length), NOT_PLAIN);
  assert.is(sameValue(msgpackCodec.decode(enc), v), undefined);
});

test('a key read from a Buffer that is then written over reads as its new bytes (the key cache keeps copies)', () => {
  const reader = new PlainReader();
  const input = Buffer.from(msgpackr({ keyx: 1 }));
  assert.equal(reader.read(input, 0, input.length), { keyx: 1 });
  // A reused receive buffer: new bytes in the same place (a key of the same length and start).
  input.write('y', input.indexOf('keyx') + 3, 'latin1');
  assert.equal(reader.read(input, 0, input.length), { keyy: 1 });
});

test('bins inside plain data are views of the input, as msgpackr gives them (received frames are owned)', () => {
  const enc = msgpackr({ a: new Uint8Array([9, 8, 7]) });
  const got = msgpackCodec.decodeAt!(enc, 0, enc.length) as { a: Uint8Array };
  assert.is(got.a.buffer, enc.buffer);
  assert.equal([...got.a], [9, 8, 7]);
});

test('a decode started while one is running (a setter on Object.prototype that decodes) reads both right', () => {
  const inner = msgpackr({ inner: 'x'.repeat(20) });
  let nested: unknown;
  Object.defineProperty(Object.prototype, 'reentry', {
    configurable: true,
    set(this: object, v: unknown) {
      nested = msgpackCodec.decode(inner);
      Object.defineProperty(this, 'reentry', { value: v, enumerable: true, writable: true, configurable: true });
    },
  });
  try {
    const outer = msgpackCodec.decode(msgpackr({ before: 1, reentry: 'y'.repeat(20), after: [1, 2] })) as Record<string, unknown>;
    assert.equal(nested, { inner: 'x'.repeat(20) });
    assert.equal({ ...outer }, { before: 1, reentry: 'y'.repeat(20), after: [1, 2] });
  } finally {
    delete (Object.prototype as Record<string, unknown>)['reentry'];
  }
});

test.run();
