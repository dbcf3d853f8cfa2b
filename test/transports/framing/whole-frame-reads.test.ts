/**
 * A stream of large frames of one size is read a frame at a time (framing/frame-input.ts): after
 * two frames alike, the next read goes into a buffer of exactly that frame's size, header
 * included, and the frame is delivered in it. Checked here, with FrameInput alone and a medium
 * that reads as much as it is given:
 * - one read per frame, into the buffer the frame is delivered in (two reads and a copy before);
 * - a guess proved wrong (a larger frame, a smaller one, small frames after it) loses nothing,
 *   and frames delivered from the guessed buffer are never written over;
 * - while lending (the hub's router), a guessed pooled buffer that turned out to hold several
 *   frames never goes back to the pool, whichever of them were used up.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameInput } from '../../../src/transports/framing/frame-input.js';
import { HEADER_BYTES, writeLength } from '../../../src/transports/framing/length-prefix.js';

const KiB = 1024;

function frameBytes(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k++) f[k] = (i * 31 + k * 7 + (k >>> 10)) & 0xff;
  return f;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** The wire for frames of `sizes` (frame i filled by `frameBytes(i, …)`). */
function wireOf(sizes: readonly number[]): Uint8Array {
  const parts: Uint8Array[] = [];
  sizes.forEach((size, i) => {
    const head = new Uint8Array(HEADER_BYTES);
    writeLength(head, 0, size);
    parts.push(head, frameBytes(i, size));
  });
  return Buffer.concat(parts);
}

/** Feeds `wire` through `input` by a medium that reads at most `maxRead` bytes; the buffers read into, in order. */
function feed(input: FrameInput, wire: Uint8Array, maxRead = Infinity): Uint8Array[] {
  const reads: Uint8Array[] = [];
  let at = 0;
  while (at < wire.length) {
    const buf = input.readBuffer();
    const n = Math.min(buf.length, maxRead, wire.length - at);
    buf.set(wire.subarray(at, at + n));
    reads.push(buf);
    input.onRead(n, buf);
    at += n;
  }
  return reads;
}

test('large frames of one size in a row: one read each, into the buffer the frame is delivered in', () => {
  const frames: Uint8Array[] = [];
  const input = new FrameInput(8 * 1024 * KiB, 30_000, (f) => frames.push(f), (err) => { throw err; });
  const count = 40;
  const sizes = new Array<number>(count).fill(64 * KiB + 40);
  const reads = feed(input, wireOf(sizes));
  assert.is(frames.length, count);
  frames.forEach((f, i) => assert.ok(same(f, frameBytes(i, sizes[i]!)), `frame ${i} intact`));
  // The first frames go the long way (a chunk read, then the body's rest); then one read a frame.
  assert.ok(reads.length <= count + 4, `${reads.length} reads for ${count} frames`);
  const readInto = new Set(reads.map((r) => r.buffer));
  const inPlace = frames.filter((f) => readInto.has(f.buffer) && f.buffer.byteLength <= HEADER_BYTES + f.length).length;
  assert.ok(inPlace >= count - 4, `${inPlace} frames delivered in the buffer read into, of exactly their size`);
  assert.is(input.pendingBytes, 0);
});

test('a guess proved wrong (larger, smaller, small frames after it) loses nothing and overwrites nothing', () => {
  const runs: Array<[number, number]> = [[40_000, 4], [70_000, 1], [40_000, 3], [20_000, 1], [5, 3], [40_000, 3],
    [16 * KiB, 3], [16 * KiB + 1, 3], [300_000, 2], [40_000, 3], [9, 1], [40_000, 2], [30_000, 1]];
  const sizes = runs.flatMap(([size, n]) => new Array<number>(n).fill(size));
  for (const maxRead of [Infinity, 50_000, 9000]) {
    const frames: Uint8Array[] = [];
    const input = new FrameInput(8 * 1024 * KiB, 30_000, (f) => frames.push(f), (err) => { throw err; });
    feed(input, wireOf([...sizes, ...sizes]), maxRead);
    const all = [...sizes, ...sizes];
    assert.is(frames.length, all.length, `every frame delivered (reads of at most ${maxRead})`);
    // Checked only at the end: a later read into memory a kept frame uses would show here.
    frames.forEach((f, i) => assert.ok(same(f, frameBytes(i, all[i]!)), `frame ${i} (${all[i]} bytes, reads ≤ ${maxRead}) intact`));
    assert.is(input.pendingBytes, 0);
  }
});

test('lending: a guessed buffer holding several frames never goes back to the pool', () => {
  // Two frames alike make the next read a guessed 40,004-byte buffer from the pool; it then holds
  // a 20,000-byte frame (used up) and a 15,000-byte one (declined: kept). Were the buffer given
  // back for the first, a later large body would be read into it, over the kept frame.
  const sizes = [40_000, 40_000, 20_000, 15_000, 3000, 40_000, 40_000, 40_000, 40_000, 40_000, 40_000];
  const all = [...sizes, ...sizes, ...sizes];
  const kept: Array<{ i: number; frame: Uint8Array }> = [];
  let seen = 0;
  const input = new FrameInput(8 * 1024 * KiB, 30_000, (frame) => kept.push({ i: seen++, frame }), (err) => { throw err; });
  input.lend((frame) => {
    if (frame.length === 15_000 || frame.length === 3000) return false;
    if (!same(frame, frameBytes(seen, all[seen]!))) throw new Error(`frame ${seen} differs when lent`);
    seen++;
    return true;
  });
  feed(input, wireOf(all));
  assert.is(seen, all.length);
  assert.is(kept.length, 6);
  for (const { i, frame } of kept) assert.ok(same(frame, frameBytes(i, all[i]!)), `kept frame ${i} (${frame.length} bytes) intact`);
});

test.run();
