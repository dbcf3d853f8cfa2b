/** The SPSC ring algorithm in one process: wrap-around, pieces, zero-length frames, torn records. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { RingConsumer, RingProducer, segmentViews } from '../../../src/transports/shm/ring.js';
import { ringOffset, segmentBytes } from '../../../src/transports/shm/layout.js';
import { ProtocolError } from '../../../src/errors.js';

function pair(capacity: number, maxFrameSize = 1 << 24) {
  const views = segmentViews(new ArrayBuffer(segmentBytes(capacity)));
  const at = ringOffset(capacity, 0);
  return { views, at, p: new RingProducer(views, at, capacity), c: new RingConsumer(views, at, capacity, maxFrameSize) };
}

function frameOf(n: number, seed: number): Uint8Array {
  const f = new Uint8Array(n);
  for (let i = 0; i < n; i += 1) f[i] = (i * 31 + seed) & 0xff;
  return f;
}

test('frames of every size cross many wrap-arounds in order, intact', () => {
  const { p, c } = pair(4096);
  let seed = 0;
  const sent: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  for (let round = 0; round < 3000; round += 1) {
    const n = (round * 7919) % 3000; // 0 .. 2999: many above one record (1280 bytes), some zero
    const f = frameOf(n, seed++);
    sent.push(f);
    // A big frame may need several offers with reads in between (it streams through in pieces).
    while (!p.offer([f.subarray(0, n >> 1), f.subarray(n >> 1)], n)) {
      for (let r = c.read(); r !== null; r = c.read()) got.push(r);
      c.publish();
    }
    p.flush();
  }
  for (let r = c.read(); r !== null; r = c.read()) got.push(r);
  assert.is(got.length, sent.length);
  for (let i = 0; i < sent.length; i += 1) assert.equal(got[i], sent[i], `frame ${i}`);
});

test('a record that is not committed is never read, and the ring resumes after the commit', () => {
  const { views, at, p, c } = pair(4096);
  assert.ok(p.offer([frameOf(10, 1)], 10));
  // Simulate a producer killed mid-write: body bytes written past the head, length still 0.
  views.u8.fill(0xee, at + 512 + 28, at + 512 + 64); // kind and body of record 2; its length (index 24) stays 0
  assert.equal(c.read(), frameOf(10, 1));
  assert.is(c.read(), null);
  assert.not.ok(c.ready());
});

test('received frames are copies: later writes into the ring do not change them', () => {
  const { p, c } = pair(4096);
  p.offer([frameOf(100, 3)], 100);
  const f = c.read()!;
  c.publish();
  for (let i = 0; i < 200; i += 1) { p.offer([frameOf(100, 9)], 100); c.read(); c.publish(); }
  assert.equal(f, frameOf(100, 3));
});

test('frames copied out in runs stay intact after the ring is rewritten (small, slab-sized and larger)', () => {
  const { p, c } = pair(1 << 20); // records up to 256 KiB: some larger than a copy-out slab share
  const sizes = [1, 64, 100, 5000, 200_000, 3, 70_000, 0, 64, 250_000, 9, 8, 7];
  const held: Uint8Array[] = [];
  for (let round = 0; round < 6; round += 1) {
    for (let i = 0; i < sizes.length; i += 1) assert.ok(p.offer([frameOf(sizes[i]!, round * 100 + i)], sizes[i]!));
    p.flush();
    for (let r = c.read(); r !== null; r = c.read()) held.push(r);
    c.publish();
  }
  assert.is(held.length, 6 * sizes.length);
  held.forEach((f, k) => assert.equal(f, frameOf(sizes[k % sizes.length]!, Math.floor(k / sizes.length) * 100 + (k % sizes.length)), `frame ${k}`));
});

test('parking: the producer takes the flag once after a commit; a parked producer is woken by publish', () => {
  const { p, c } = pair(4096);
  assert.ok(c.park(), 'empty ring: sleep');
  p.offer([frameOf(1, 1)], 1);
  assert.ok(p.flush(), 'consumer parked: ring');
  assert.not.ok(p.flush(), 'flag already taken');
  assert.not.ok(c.park(), 'record committed: do not sleep');
  // Fill the ring, park the producer, drain: publish reports that it must be rung.
  let n = 0;
  while (p.offer([frameOf(200, n)], 200)) n += 1;
  p.parkForSpace();
  assert.not.ok(p.offer([frameOf(200, n)], 200));
  while (c.read() !== null);
  assert.ok(c.publish());
  assert.ok(p.offer([frameOf(200, n)], 200));
});

test('a producer waiting for space is woken mid-drain, once, before the drain ends', () => {
  const views = segmentViews(new ArrayBuffer(segmentBytes(4096)));
  const at = ringOffset(4096, 0);
  let woken = 0;
  const p = new RingProducer(views, at, 4096);
  const c = new RingConsumer(views, at, 4096, 1 << 20, () => { woken += 1; });
  while (p.offer([frameOf(100, 1)], 100));
  p.parkForSpace();
  assert.not.ok(p.offer([frameOf(100, 1)], 100));
  for (let i = 0; i < 6; i += 1) assert.ok(c.read()); // 6 x 112 bytes: past capacity / 8
  assert.is(woken, 1, 'rung while the drain goes on');
  assert.ok(p.offer([frameOf(100, 2)], 100), 'the head it saw frees space');
  while (c.read() !== null);
  assert.not.ok(c.publish(), 'flag already taken');
  assert.is(woken, 1);
});

test('a frame larger than a record goes into the room there is, not only into a whole record of it', () => {
  // 4 KiB ring: records of at most 1 KiB. Three whole 1 KiB records leave 1016 free bytes, less
  // than a whole record: the old producer wrote nothing of a large frame until a record's worth
  // was free (a woken writer found too little, parked again, and its reader ran dry).
  const { p, c } = pair(4096);
  for (let i = 0; i < 3; i += 1) assert.ok(p.offer([frameOf(1016, i)], 1016));
  const big = frameOf(3000, 9);
  assert.not.ok(p.offer([big], big.length), 'does not fit yet');
  for (let i = 0; i < 3; i += 1) assert.equal(c.read(), frameOf(1016, i));
  assert.is(c.read(), null);
  assert.ok(c.pendingBytes >= 256, `part of the large frame is already in the ring: pendingBytes=${c.pendingBytes}`);
  c.publish();
  let got: Uint8Array | null = null;
  let offers = 1;
  while (!p.offer([big], big.length)) {
    got = c.read() ?? got;
    c.publish();
    assert.ok(++offers < 20, 'makes progress');
  }
  got = c.read() ?? got;
  assert.equal(got, big);
});

test('pieces sized to the room keep every frame intact across wrap-arounds (large frames only)', () => {
  const { p, c } = pair(4096);
  const sent: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  for (let round = 0; round < 2000; round += 1) {
    const n = 1273 + ((round * 7919) % 5000); // every frame is pieced (a record's body takes 1272 bytes here)
    const f = frameOf(n, round);
    sent.push(f);
    while (!p.offer([f.subarray(0, n >> 2), f.subarray(n >> 2)], n)) {
      // Read only some records at a time, so the free room takes every shape.
      for (let k = 0, r = c.read(); r !== null && k < (round % 3) + 1; k += 1, r = k < (round % 3) + 1 ? c.read() : null) got.push(r);
      c.publish();
    }
  }
  for (let r = c.read(); r !== null; r = c.read()) got.push(r);
  assert.is(got.length, sent.length);
  for (let i = 0; i < sent.length; i += 1) assert.equal(got[i], sent[i], `frame ${i}`);
});

test('a 16 MiB frame streams through a 64 KiB ring and arrives intact (checksum)', () => {
  const { p, c } = pair(65536, 1 << 25);
  const big = frameOf(16 * 1024 * 1024, 7);
  const want = createHash('sha256').update(big).digest('hex');
  let out: Uint8Array | null = null;
  while (!p.offer([big], big.length)) {
    out = c.read() ?? out;
    c.publish();
  }
  out = c.read() ?? out;
  assert.ok(out);
  assert.is(createHash('sha256').update(out!).digest('hex'), want);
});

test('garbage records are refused with ProtocolError', () => {
  const { views, at, c } = pair(4096);
  const i = (at + 512) >>> 2;
  views.i32[i + 1] = 99;
  views.i32[i] = 16;
  assert.throws(() => c.read(), (e: unknown) => e instanceof ProtocolError);
  const q = pair(4096, 100);
  const j = (q.at + 512) >>> 2;
  q.views.i32[j + 1] = 2; // first piece announcing more than maxFrameSize
  q.views.i32[j + 2] = 1000;
  q.views.i32[j] = 24;
  assert.throws(() => q.c.read(), (e: unknown) => e instanceof ProtocolError);
});

test.run();
