/**
 * The msgpack codec's `sizeOf`/`encodeInto` for values other than byte arrays
 * (src/codecs/msgpack-sized.ts): one scratch buffer reused by every call, so each write must be
 * of the value sized last, packed again otherwise, and never stale: the same bytes msgpackr's
 * own `pack` writes, whatever was sized or written in between. Over the bus: an object changed
 * and published again carries its new content, a value msgpack cannot encode is refused with a
 * CodecError and the bus goes on.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { msgpackCodec } from '../../src/codecs/msgpack.js';
import { Bus, CodecError } from '../../src/index.js';
import { tmpDir } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** `value` through sizeOf then encodeInto, at an offset in a larger buffer. */
function inPlace(value: unknown): Uint8Array {
  const n = msgpackCodec.sizeOf!(value);
  const out = new Uint8Array(n + 10).fill(0xaa);
  msgpackCodec.encodeInto!(value, out, 5);
  assert.equal([...out.subarray(0, 5), ...out.subarray(n + 5)], new Array(10).fill(0xaa), 'nothing written outside');
  return out.subarray(5, n + 5);
}

const VALUES: unknown[] = [
  null, true, 0, -1, 2 ** 40, 1.5, '', 'é✓', 'x'.repeat(300), { id: 42, text: 'hello' },
  { a: [1, 2, { b: 'c' }], bytes: new Uint8Array([1, 2, 3]) }, new Array(100).fill('y'), { big: 'z'.repeat(70_000) },
];

test('every value: sizeOf is the length of what encodeInto writes, and it is what msgpackr packs', () => {
  for (const v of VALUES) {
    assert.equal([...inPlace(v)], [...packr.pack(v)], JSON.stringify(v)?.slice(0, 40));
  }
});

test('a write of a value that was not sized last packs it again; sizing twice, writing many times', () => {
  const a = { a: 1, s: 'first' };
  const b = { b: 2, s: 'second'.repeat(50) };
  const na = msgpackCodec.sizeOf!(a);
  msgpackCodec.sizeOf!(b);
  const out = new Uint8Array(na);
  msgpackCodec.encodeInto!(a, out, 0);
  assert.equal([...out], [...packr.pack(a)], 'a after b was sized');
  // One sizing, one write per connection (a hub writing to several subscribers).
  const nb = msgpackCodec.sizeOf!(b);
  for (let i = 0; i < 3; i++) {
    const o = new Uint8Array(nb);
    msgpackCodec.encodeInto!(b, o, 0);
    assert.equal([...o], [...packr.pack(b)], `write ${i}`);
  }
  // Ordinary encodings in between stay what they were.
  const kept = msgpackCodec.encode({ keep: 'me' });
  msgpackCodec.sizeOf!({ other: 'x'.repeat(5000) });
  assert.equal(packr.unpack(kept), { keep: 'me' });
});

test('encodings of every length up to 300 bytes, at every alignment, into buffers taken in turns, are msgpackr\'s bytes', () => {
  // Copies go by bytes, by 4-byte words through DataViews (kept per output buffer), or natively,
  // by length: each length at offsets 0-4 of two buffers in turns, and a buffer written again.
  const buffers = [new Uint8Array(1024), new Uint8Array(1024), new Uint8Array(2 * 1024 * 1024)];
  for (let len = 0; len < 300; len++) {
    const value = 'v'.repeat(len);
    const n = msgpackCodec.sizeOf!(value);
    for (let at = 0; at < 5; at++) {
      const out = buffers[(len + at) % buffers.length]!.fill(0xaa);
      msgpackCodec.encodeInto!(value, out, at);
      assert.equal([...out.subarray(at, at + n)], [...packr.pack(value)], `length ${len} at ${at}`);
      assert.is(out[at + n], 0xaa, 'nothing written past the encoding');
      if (at > 0) assert.is(out[at - 1], 0xaa, 'nothing written before it');
    }
  }
});

test('an object changed after it was sized is sized (and written) anew', () => {
  const v = { n: 1, s: 'short' };
  inPlace(v);
  v.s = 'much longer than before'.repeat(4);
  assert.equal(packr.unpack(inPlace(v)), v);
});

test('a scratch grown by one large value is given up at the next sizing, and encodings stay right', () => {
  const big = { s: 'b'.repeat(3_000_000) };
  assert.equal(packr.unpack(inPlace(big)), big);
  const small = { s: 'after' };
  assert.equal([...inPlace(small)], [...packr.pack(small)]);
  assert.equal(packr.unpack(inPlace(big)), big);
});

test('a value msgpack cannot encode is a CodecError, and the next value encodes', () => {
  const bad = { n: 10n ** 30n };
  try {
    msgpackCodec.sizeOf!(bad);
    assert.unreachable('sizeOf should throw');
  } catch (err) {
    assert.instance(err, CodecError);
  }
  assert.equal(packr.unpack(inPlace({ ok: true })), { ok: true });
});

test('over a hub: an object changed and published again arrives as it was each time; a bad value is refused', async () => {
  const url = `unix://${tmpDir('msgpack-sized')}/hub.sock`;
  const hub = await Bus.listen(url);
  const client = await Bus.connect(url);
  try {
    const toClient: unknown[] = [];
    const toHub: unknown[] = [];
    client.subscribe('down').subscribe((m) => { toClient.push(m.data); });
    hub.subscribe('up').subscribe((m) => { toHub.push(m.data); });
    await within(5000, 'flushes', Promise.all([client.flush(), hub.flush()]));
    const v = { i: 0, text: '' };
    const want: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      v.i = i;
      v.text = 'w'.repeat(i * 37);
      want.push({ ...v });
      void hub.publish('down', v);
      void client.publish('up', v);
    }
    await assertRejects(hub.publish('down', { n: 10n ** 30n }));
    await assertRejects(client.publish('up', { n: 10n ** 30n }));
    void hub.publish('down', { last: true });
    void client.publish('up', { last: true });
    await until('deliveries', () => toClient.length >= 201 && toHub.length >= 201, 20_000);
    assert.equal(toClient, [...want, { last: true }], 'hub -> client');
    assert.equal(toHub, [...want, { last: true }], 'client -> hub');
  } finally {
    await client.close();
    await hub.close();
  }
});

async function assertRejects(p: Promise<void>): Promise<void> {
  try {
    await p;
    assert.unreachable('publish should reject');
  } catch (err) {
    assert.instance(err, CodecError);
  }
}

test.run();
