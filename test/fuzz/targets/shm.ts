/**
 * shm ring records as the hub reads them: a ring filled by the real producer, then corrupted
 * the way a crashed or hostile client could (the segment is writable by the client), read by
 * the real consumer. Either frames come out (and, unmutated, exactly those written) or a
 * `ProtocolError`; never a hang or another exception.
 */
import fc from 'fast-check';
import { RingConsumer, RingProducer, segmentViews } from '../../../src/transports/shm/ring.js';
import { ringOffset, segmentBytes } from '../../../src/transports/shm/layout.js';
import { ProtocolError } from '../../../src/errors.js';
import { expect, instanceOfAny, sameBytes, type FuzzTarget } from '../target.js';

const CAPACITY = 4096;
const MAX_FRAME = 3000;

/** A corruption of one record-header word (length or kind) or of any data byte. */
type Poke = { slot: number; word: 0 | 1; value: number } | { at: number; byte: number };

export interface ShmInput { frames: Uint8Array[]; skip: number; pokes: Poke[] }

const EDGE_I32 = [0, 1, -1, -8, 7, 8, 9, 15, 16, 24, 1024, 1032, CAPACITY >>> 2, (CAPACITY >>> 2) + 8, CAPACITY - 8, CAPACITY, CAPACITY + 8, 2 ** 31 - 1, -(2 ** 31)];
const poke: fc.Arbitrary<Poke> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ slot: fc.oneof(fc.nat(24), fc.nat(CAPACITY / 8 - 1)), word: fc.constantFrom(0 as const, 1 as const), value: fc.oneof(fc.constantFrom(...EDGE_I32), fc.integer({ min: 0, max: 5 })) }) },
  { weight: 1, arbitrary: fc.record({ at: fc.nat(CAPACITY - 1), byte: fc.integer({ min: 0, max: 255 }) }) },
);

export const shmRecords: FuzzTarget<ShmInput> = {
  name: 'shm.ring-records',
  input: fc.record({
    frames: fc.array(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 1000, maxLength: 2900 })), { maxLength: 6 }),
    // Frames written and read before the corruption: moves the head, so padding and wrap-around show up.
    skip: fc.nat(4),
    pokes: fc.array(poke, { maxLength: 4 }),
  }),
  run({ frames, skip, pokes }) {
    const views = segmentViews(new ArrayBuffer(segmentBytes(CAPACITY)));
    const at = ringOffset(CAPACITY, 0);
    const p = new RingProducer(views, at, CAPACITY);
    const c = new RingConsumer(views, at, CAPACITY, MAX_FRAME);
    // Warm-up frames move the positions (read back, then the head is published).
    for (let i = 0; i < skip; i++) {
      const f = new Uint8Array(700 + 300 * i);
      for (let tries = 0; !p.offer([f], f.length); tries++) { expect(tries < 10, 'warm-up stalled'); c.read(); c.publish(); }
      while (c.read() !== null);
      c.publish();
    }
    const written: Uint8Array[] = [];
    for (const f of frames) {
      if (!p.offer([f], f.length)) break; // stop at a full ring: keep the input static
      written.push(f);
    }
    const data = at + 512;
    for (const k of pokes) {
      if ('slot' in k) views.i32[(data + k.slot * 8 + k.word * 4) >>> 2] = k.value;
      else views.u8[data + k.at] = k.byte;
    }
    const got: Uint8Array[] = [];
    for (let n = 0; n < 64; n++) {
      const f = c.read();
      if (f === null) break;
      expect(f.length <= MAX_FRAME, `frame of ${f.length} bytes above maxFrameSize`);
      got.push(f);
    }
    if (pokes.length === 0) {
      expect(got.length === written.length && got.every((f, i) => sameBytes(f, written[i]!)), 'an untouched ring did not give back its frames');
    }
  },
  typed: instanceOfAny(ProtocolError),
  regressions: [
    // A padding record covering the whole ring at index 0 (length = capacity, kind 4): read()
    // skipped to index 0 again, forever (found by this fuzzer; the hub's event loop hung).
    { frames: [], skip: 0, pokes: [{ slot: 0, word: 1, value: 4 }, { slot: 0, word: 0, value: CAPACITY }] },
    // A whole record of length 2^31-1: align() wrapped it negative, it passed the size checks and
    // read() threw a bare RangeError building the frame view.
    { frames: [new Uint8Array(3)], skip: 0, pokes: [{ slot: 0, word: 0, value: 2 ** 31 - 1 }] },
    // The same length on the record after a whole one: the copy-out run walked backwards.
    { frames: [new Uint8Array(3), new Uint8Array(3)], skip: 0, pokes: [{ slot: 2, word: 0, value: 2 ** 31 - 1 }] },
  ],
};
