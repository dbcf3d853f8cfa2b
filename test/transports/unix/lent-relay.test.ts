/**
 * Relaying over unix:// with lent frames (src/transports/framing/chunk-lending.ts): the hub reads
 * in place and lends each frame to the router first; a PUB it only forwards is used up, so its
 * receive-chunk room is read over again and a large body goes back to the pool. Real processes
 * over a real socket: a publisher, a subscriber that keeps up and one that stalls now and then
 * (frames wait in its outbox: those are declined, delivered owned), while the hub's own
 * subscription comes and goes (owned, and kept past delivery: read over, it would change).
 * Every subscriber gets every payload intact, in order; the hub's own copies stay intact.
 *
 * Then the same input alone (FrameInput, a medium that reads at most 50,000 bytes): frames
 * lent and used up let reads go over the same chunk again, a used-up large body comes back from
 * the pool for the next one, and frames declined (delivered) are never written over.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameInput } from '../../../src/transports/framing/frame-input.js';
import { HEADER_BYTES, writeLength } from '../../../src/transports/framing/length-prefix.js';
import { uniqueName } from '../../helpers/run-id.js';
import { relayScenario } from '../shm/relay-scenario.js';

test('relayed frames arrive intact and in order at every subscriber, lent or delivered', async () => {
  const url = `unix:///tmp/${uniqueName('lent-relay')}.sock`;
  await relayScenario(url);
});

const KiB = 1024;
/** Frames below 1 KiB are never lent (delivered at once); the rest are offered first. */
const MIXED = [5, 4 * KiB, 100, 70_000, 9, 1024 * KiB + 3, 4 * KiB, 20_000];
const LENT = [4 * KiB, 70_000, 2000, 1024 * KiB + 3, 4 * KiB, 20_000, 1024, 5000];

function frameBytes(i: number, sizes = MIXED): Uint8Array {
  const f = new Uint8Array(sizes[i % sizes.length]!);
  for (let k = 0; k < f.length; k++) f[k] = (i * 31 + k * 7) & 0xff;
  f[0] = i & 0xff;
  return f;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Feeds `count` frames through `input` by a medium that reads at most `maxRead` bytes at a time. */
function feed(input: FrameInput, count: number, sizes = MIXED, maxRead = 50_000, given: number[] = []): Set<ArrayBufferLike> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const f = frameBytes(i, sizes);
    const head = new Uint8Array(HEADER_BYTES);
    writeLength(head, 0, f.length);
    parts.push(head, f);
  }
  const wire = Buffer.concat(parts);
  const readInto = new Set<ArrayBufferLike>();
  let at = 0;
  while (at < wire.length) {
    const buf = input.readBuffer();
    given.push(buf.length);
    const n = Math.min(buf.length, maxRead, wire.length - at);
    buf.set(wire.subarray(at, at + n));
    readInto.add(buf.buffer);
    input.onRead(n, buf);
    at += n;
  }
  return readInto;
}

test('frames used up are read over again; frames declined are never written over', () => {
  const delivered: Array<{ i: number; frame: Uint8Array }> = [];
  const lentCopies: Array<{ i: number; copy: Uint8Array }> = [];
  let seen = 0;
  const input = new FrameInput(8 * 1024 * KiB, 30_000, (frame) => delivered.push({ i: seen++, frame }), (err) => { throw err; });
  // Every third frame is declined (delivered, kept to the end), as is every frame below 1 KiB;
  // the others are used up.
  input.lend((frame) => {
    if (seen % 3 === 0) return false;
    lentCopies.push({ i: seen++, copy: frame.slice() });
    return true;
  });
  const count = 96;
  feed(input, count);
  assert.is(delivered.length + lentCopies.length, count);
  for (const { i, copy } of lentCopies) assert.ok(same(copy, frameBytes(i)), `lent frame ${i} was whole when lent`);
  // Checked only now: a read over memory still held by a delivered frame would show here.
  for (const { i, frame } of delivered) assert.ok(same(frame, frameBytes(i)), `delivered frame ${i} (${frame.length} bytes) intact`);
});

test('when every frame is used up, reads go to the same memory over and over', () => {
  const bodies = new Set<ArrayBufferLike>();
  let n = 0;
  const input = new FrameInput(8 * 1024 * KiB, 30_000, () => assert.unreachable('nothing declined'), (err) => { throw err; });
  input.lend((frame) => {
    if (!same(frame, frameBytes(n, LENT))) throw new Error(`frame ${n} differs`);
    if (frame.length >= 16 * KiB) bodies.add(frame.buffer);
    n++;
    return true;
  });
  const count = 400; // 50 frames of each size, 1 MiB ones included
  const readInto = feed(input, count, LENT);
  assert.is(n, count);
  // Without reuse, 400 frames (about 55 MiB) take hundreds of chunks and 150 large bodies.
  assert.ok(readInto.size <= 4, `reads went into ${readInto.size} buffers`);
  assert.ok(bodies.size <= 3, `large bodies in ${bodies.size} buffers`);
});

test('an input whose reads fill their buffer reads more at once, over the same memory, never over a declined frame', () => {
  const sizes = [4 * KiB, 1500, 4 * KiB, 9000, 4 * KiB, 2000]; // all lent (from 1 KiB)
  const delivered: Array<{ i: number; frame: Uint8Array }> = [];
  let seen = 0;
  const input = new FrameInput(8 * 1024 * KiB, 30_000, (frame) => delivered.push({ i: seen++, frame }), (err) => { throw err; });
  let declining = true;
  let base = 0; // index of the first frame of the current feed
  input.lend((frame) => {
    // Frames of the first part: every 50th is declined (kept to the end); then all are used up.
    if (declining && seen % 50 === 0) return false;
    if (!same(frame, frameBytes(seen - base, sizes))) throw new Error(`frame ${seen} differs`);
    seen++;
    return true;
  });
  const given: number[] = [];
  // A medium with more waiting than any read takes (a busy publisher): every read fills its buffer.
  feed(input, 2000, sizes, Infinity, given);
  assert.ok(Math.max(...given) > 64 * KiB, `reads took at most ${Math.max(...given)} bytes`);
  for (const { i, frame } of delivered) assert.ok(same(frame, frameBytes(i, sizes)), `declined frame ${i} intact`);
  assert.ok(delivered.length >= 30, `${delivered.length} frames declined`);
  // Once every frame is used up, a 64 KiB chunk is read over, then a larger one, over and over.
  declining = false;
  base = seen;
  const chunks = feed(input, 2000, sizes, Infinity);
  assert.ok(chunks.size <= 3, `reads went into ${chunks.size} buffers`);
});

test('an input whose frames are all kept reads 64 KiB at most, however busy', () => {
  // The hub's own subscription keeps every frame: each chunk is fresh memory, kept small.
  const input = new FrameInput(8 * 1024 * KiB, 30_000, () => {}, (err) => { throw err; });
  input.lend(() => false);
  const given: number[] = [];
  feed(input, 1000, [4 * KiB, 2000, 5000], Infinity, given);
  assert.is(Math.max(...given), 64 * KiB);
});

test('a consumer that declines every frame is asked less often, and again in full once it takes one', () => {
  let offers = 0;
  let taking = false;
  const delivered: Uint8Array[] = [];
  const input = new FrameInput(8 * 1024 * KiB, 30_000, (frame) => delivered.push(frame), (err) => { throw err; });
  input.lend(() => { offers++; return taking; });
  const all = [4 * KiB, 2000, 5000];
  feed(input, 1000, all);
  // 8 declines in a row, then one offer in 65 frames: about 23 of 1,000.
  assert.ok(offers >= 8 && offers <= 40, `${offers} offers for 1,000 frames declined`);
  assert.is(delivered.length, 1000, 'every frame not used up is delivered');
  for (let i = 0; i < delivered.length; i++) assert.ok(same(delivered[i]!, frameBytes(i, all)), `frame ${i} intact`);
  taking = true;
  offers = 0;
  feed(input, 200, all);
  assert.ok(offers >= 130, `${offers} offers for 200 frames once it takes them`);
});

test.run();
