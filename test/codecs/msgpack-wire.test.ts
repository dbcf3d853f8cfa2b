/**
 * The msgpack wire cursors: every form the writer writes is the one msgpackr writes (smallest
 * form, on both sides of each size change), the reader reads it back and leaves its position
 * alone when the next value is of another kind.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import {
  binHeaderSize, encodeStr, MsgpackReader, MsgpackWriter, strHeaderSize, uintSize,
} from '../../src/codecs/msgpack-wire.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const UINTS = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
const LENGTHS = [0, 1, 31, 32, 255, 256, 65535, 65536, 70_000];

function written(fill: (w: MsgpackWriter) => void): number[] {
  const out = new Uint8Array(80_000);
  const w = new MsgpackWriter().at(out, 3); // not at 0: positions are relative to `at`
  fill(w);
  return [...out.subarray(3, w.pos)];
}

test('uint writes what msgpackr writes for every size class, and reads back', () => {
  for (const n of UINTS) {
    const bytes = written((w) => w.uint(n));
    assert.equal(bytes, [...packr.pack(n)], `n=${n}`);
    assert.is(bytes.length, uintSize(n), `uintSize(${n})`);
    const r = new MsgpackReader().at(Uint8Array.from(bytes), 0);
    assert.is(r.uint(), n);
    assert.is(r.pos, bytes.length);
  }
});

test('str and bin headers are the smallest form, as msgpackr writes them', () => {
  for (const n of LENGTHS) {
    const text = 'x'.repeat(n);
    assert.equal([...encodeStr(text)], [...packr.pack(text)], `str of ${n}`);
    assert.is(encodeStr(text).length, strHeaderSize(n) + n);
    const body = new Uint8Array(n).fill(9);
    assert.equal(written((w) => { w.binHeader(n); w.raw(body); }), [...packr.pack(body)], `bin of ${n}`);
    assert.is(written((w) => w.binHeader(n)).length, binHeaderSize(n));
    const r = new MsgpackReader().at(packr.pack(text), 0);
    assert.is(r.strHeader(), n);
    assert.is(r.pos, strHeaderSize(n));
    const rb = new MsgpackReader().at(packr.pack(body), 0);
    assert.is(rb.binHeader(), n);
    assert.is(rb.pos, binHeaderSize(n));
  }
});

test('array headers and nil match msgpackr; bin32Header is 5 bytes whatever the length', () => {
  for (const n of [0, 3, 8, 15, 16, 65535, 65536]) {
    const items = new Array<null>(n).fill(null);
    const bytes = written((w) => { w.array(n); for (let i = 0; i < n; i++) w.nil(); });
    assert.equal(bytes, [...packr.pack(items)], `array of ${n}`);
  }
  assert.equal(written((w) => w.bin32Header(3)), [0xc6, 0, 0, 0, 3]);
});

test('a read of the wrong kind answers -1 (or false) and leaves the position alone', () => {
  const r = new MsgpackReader();
  for (const value of ['s', 1, null, new Uint8Array(2), [1]]) {
    const bytes = packr.pack(value);
    const kinds = {
      uint: () => r.at(bytes, 0).uint() !== -1,
      str: () => r.at(bytes, 0).strHeader() !== -1,
      bin: () => r.at(bytes, 0).binHeader() !== -1,
      nil: () => r.at(bytes, 0).nil(),
    };
    for (const [kind, read] of Object.entries(kinds)) {
      if (read()) continue;
      assert.is(r.pos, 0, `${kind} of ${JSON.stringify(value)} moved the cursor`);
    }
  }
  // A negative or fractional float64 is not a uint.
  for (const v of [-(2 ** 40), 2.5]) assert.is(new MsgpackReader().at(packr.pack(v), 0).uint(), -1, String(v));
});

test('two cursors over the same bytes do not share a position', () => {
  const bytes = Uint8Array.from([...packr.pack(300), ...packr.pack(7)]);
  const a = new MsgpackReader().at(bytes, 0);
  const b = new MsgpackReader().at(bytes, 0);
  assert.is(a.uint(), 300);
  assert.is(b.uint(), 300);
  assert.is(a.uint(), 7);
  assert.is(b.pos, 3);
});

test.run();
