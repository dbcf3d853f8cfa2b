/**
 * The msgpack codec: byte values take a fast path that must write exactly what msgpackr writes
 * and read what any msgpack writer sends; every other value goes through msgpackr.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { msgpackCodec } from '../../src/codecs/msgpack.js';
import { CodecError } from '../../src/errors.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
/** Lengths on both sides of every bin header size change (bin 8 / 16 / 32). */
const LENGTHS = [0, 1, 64, 255, 256, 4095, 4096, 65535, 65536, 200_000];

function bytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
  return b;
}

/** Byte arrays (Buffer or not) as plain arrays, so values compare by content. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return [...v];
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

test('a Uint8Array encodes to the same bytes as msgpackr', () => {
  for (const n of LENGTHS) {
    const value = bytes(n);
    assert.equal([...msgpackCodec.encode(value)], [...packr.pack(value)], `length ${n}`);
  }
});

test('a Buffer encodes as its bytes only (not the whole pool it lives in)', () => {
  const pool = Buffer.from(bytes(100));
  const view = pool.subarray(10, 20);
  assert.equal([...msgpackCodec.encode(view)], [...packr.pack(new Uint8Array(view))]);
});

test('the encoding is a copy: changing the value afterwards changes nothing', () => {
  const value = bytes(64);
  const encoded = msgpackCodec.encode(value);
  const before = [...encoded];
  value.fill(0);
  msgpackCodec.encode(bytes(64)); // the next encoding must not overwrite the first
  assert.equal([...encoded], before);
});

test('msgpackr-written bins decode to the same bytes, as a view of the input', () => {
  for (const n of LENGTHS) {
    const wire = new Uint8Array(packr.pack(bytes(n)));
    const got = msgpackCodec.decode(wire) as Uint8Array;
    assert.ok(got instanceof Uint8Array);
    assert.equal(got.length, n);
    assert.ok(Buffer.from(got).equals(Buffer.from(bytes(n))), `length ${n}`);
    assert.is(got.buffer, wire.buffer);
  }
});

test('non-minimal bin headers (bin 32 for 3 bytes) decode too', () => {
  assert.equal([...(msgpackCodec.decode(new Uint8Array([0xc6, 0, 0, 0, 3, 1, 2, 3])) as Uint8Array)], [1, 2, 3]);
});

test('a bin whose length disagrees with the payload is a CodecError', () => {
  for (const wire of [[0xc4, 5, 1, 2], [0xc4, 1, 1, 2], [0xc5, 0, 9, 1], [0xc6, 0, 0, 0, 1]]) {
    assert.throws(() => msgpackCodec.decode(new Uint8Array(wire)), (e: unknown) => e instanceof CodecError, JSON.stringify(wire));
  }
});

test('other values round-trip through msgpackr, nested bytes included', () => {
  const values: unknown[] = [null, true, 42, -1.5, 'héllo', [1, 'a'], { a: { b: [bytes(3)] }, n: 2 ** 40 }];
  for (const v of values) {
    const wire = msgpackCodec.encode(v);
    assert.equal([...wire], [...packr.pack(v)]);
    assert.equal(plain(msgpackCodec.decode(wire)), plain(v));
  }
});

test.run();
