/**
 * The msgpack codec writes plain data by hand (src/codecs/msgpack-plain-write.ts): every value it
 * writes must be msgpackr's exact bytes, anything else must still be msgpackr's (its bytes and
 * its errors), and a getter is read once per encoding, as msgpackr reads it. The fuzz target
 * `codec.plain-write` checks the same on generated values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { msgpackCodec } from '../../src/codecs/msgpack.js';
import { PlainWriter } from '../../src/codecs/msgpack-plain-write.js';
import { CodecError } from '../../src/errors.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

const PLAIN: unknown[] = [
  null, true, false, undefined, 0, -0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -1, -32, -33, -128, -129,
  -32768, -32769, -(2 ** 31), -(2 ** 31) - 1, 1.5, NaN, Infinity, Number.MIN_VALUE, '', 'a', 'x'.repeat(31), 'x'.repeat(32),
  'x'.repeat(63), 'x'.repeat(64), 'y'.repeat(255), 'y'.repeat(256), 'z'.repeat(20_000), 'é'.repeat(15),
  'é'.repeat(16), 'é'.repeat(127), 'é'.repeat(128), '✓'.repeat(100), '😀'.repeat(20), 'a\ud800b', '\udc00'.repeat(50),
  { id: 42, text: 'x'.repeat(64) }, {}, [], [1, [2, [3]]], new Array(16).fill(0), new Array(60_000).fill(1), [, 1, , 2],
  { '1': 'one', b: 2, 'é✓': [null, undefined] }, { hasOwnProperty: 5, a: 1 },
  new Uint8Array([1, 2, 3]), Buffer.from([4, 5]), { b: new Uint8Array(300), c: new Uint8Array(60_000) },
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
];

test('every plain value is written as msgpackr writes it, through the codec too', () => {
  const writer = new PlainWriter();
  for (const v of PLAIN) {
    const what = JSON.stringify(v)?.slice(0, 40) ?? String(v);
    const n = writer.write(v);
    assert.ok(n >= 0, `written by hand: ${what}`);
    assert.equal([...writer.bytes.subarray(0, n)], [...packr.pack(v)], what);
    const m = msgpackCodec.sizeOf!(v);
    const out = new Uint8Array(m + 2);
    msgpackCodec.encodeInto!(v, out, 1);
    assert.equal([...out.subarray(1, m + 1)], [...packr.pack(v)], `codec: ${what}`);
  }
});

test('what is not plain is msgpackr\'s: its bytes, and its errors as CodecError', () => {
  const writer = new PlainWriter();
  class Point { x = 1; }
  const others = [new Date(5), new Map([[1, 2]]), new Set([1]), 2n ** 60n, new Point(), Object.create(null), new Uint16Array(2),
    { deep: new Date(0) }, [1, new Map()], { toJSON: () => 'a function', a: 1 },
    // Past the hand writer's 64 KiB scratch: msgpackr's (its buffer grows).
    'w'.repeat(30_000), 'z'.repeat(65_536), new Array(70_000).fill(1), { big: new Uint8Array(70_000) }];
  for (const v of others) {
    const what = Object.prototype.toString.call(v);
    assert.is(writer.write(v), -1, what);
    const n = msgpackCodec.sizeOf!(v);
    const out = new Uint8Array(n);
    msgpackCodec.encodeInto!(v, out, 0);
    assert.equal([...out], [...packr.pack(v)], what);
  }
  const cycle: Record<string, unknown> = { a: 1 };
  cycle['self'] = cycle;
  assert.is(writer.write(cycle), -1);
  assert.throws(() => msgpackCodec.sizeOf!(cycle), (e: unknown) => e instanceof CodecError);
  assert.throws(() => msgpackCodec.sizeOf!({ n: 10n ** 30n }), (e: unknown) => e instanceof CodecError);
});

test('a getter is read once per encoding, and what it returned is what is written', () => {
  let reads = 0;
  const v = { get text(): string { reads++; return 'r'.repeat(reads * 10); } };
  const n = msgpackCodec.sizeOf!(v);
  const out = new Uint8Array(n);
  msgpackCodec.encodeInto!(v, out, 0);
  assert.is(reads, 1);
  assert.equal(packr.unpack(out), { text: 'r'.repeat(10) });
});

test.run();
