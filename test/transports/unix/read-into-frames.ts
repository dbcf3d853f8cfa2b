/**
 * What both sides' in-place read tests use (read-into: the connecting side reads; hub-read-into:
 * the accepting side reads): sizes around every threshold of the read path, patterned payloads,
 * frames of every size interleaved, and the pause in the middle of a large frame.
 */
import * as assert from 'uvu/assert';
import type { Connection } from '../../../src/transports/transport.js';
import { until, within } from '../../helpers/watchdog.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;
/** Sizes around every threshold of the read path (chunk room, direct-read minimum, chunk size). */
export const SIZES = [0, 1, 3, 64, 4 * KiB, 16 * KiB - 1, 16 * KiB, 16 * KiB + 1, 40_000, 64 * KiB - 4, 64 * KiB, 64 * KiB + 5,
  200_000, MiB, MiB + 7, 3 * MiB + 1];

export function payload(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k++) f[k] = (i * 31 + k * 7 + (k >>> 12)) & 0xff;
  return f;
}

export function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Frames of every size, small ones between large ones (a read then holds the end of one frame
 * and others), three rounds; all kept by the receiver and compared only at the end, so a later
 * read writing over a frame delivered earlier would show.
 */
export async function sendInterleaved(writer: Connection, reader: Connection): Promise<void> {
  const sent: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  reader.consume((f) => got.push(f));
  for (let round = 0; round < 3; round++) {
    for (let s = 0; s < SIZES.length; s++) {
      for (const size of [SIZES[s]!, 5, SIZES[(s * 7 + round) % SIZES.length]!]) {
        const p = payload(sent.length, size);
        sent.push(p);
        if (!writer.write(p)) await within(20_000, 'room to write', writer.drained());
      }
    }
  }
  await until('every frame received', () => got.length >= sent.length, 30_000, 5);
  assert.is(got.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.ok(same(got[i]!, sent[i]!), `frame ${i} (${sent[i]!.length} bytes) intact`);
}

/**
 * Runs of large frames of one size (then a read takes a whole frame into a buffer of its size,
 * framing/frame-input.ts), each run ended by a frame the guess gets wrong: larger, smaller, small
 * ones between. All kept by the receiver and compared only at the end.
 */
export async function sendRuns(writer: Connection, reader: Connection): Promise<void> {
  const runs: Array<[size: number, count: number]> = [[70_000, 6], [64 * KiB, 5], [200_000, 3], [70_000, 2], [5, 1],
    [70_000, 3], [16 * KiB, 4], [16 * KiB + 1, 3], [MiB, 3], [64 * KiB + 5, 4], [100, 2], [64 * KiB + 5, 3], [20_000, 3], [3, 1]];
  const sent: Uint8Array[] = [];
  const got: Uint8Array[] = [];
  reader.consume((f) => got.push(f));
  for (let round = 0; round < 2; round++) {
    for (const [size, count] of runs) {
      for (let k = 0; k < count; k++) {
        const p = payload(sent.length, size);
        sent.push(p);
        if (!writer.write(p)) await within(20_000, 'room to write', writer.drained());
      }
    }
  }
  await until('every frame received', () => got.length >= sent.length, 30_000, 5);
  assert.is(got.length, sent.length);
  for (let i = 0; i < sent.length; i++) assert.ok(same(got[i]!, sent[i]!), `frame ${i} (${sent[i]!.length} bytes) intact`);
}

/** The reader pauses while the next (large) frame is on its way, and resumes a little later: nothing is lost. */
export async function pauseMidLargeFrame(pair: { writer: Connection; reader: Connection; close(): Promise<void> }): Promise<void> {
  const { writer, reader, close } = pair;
  try {
    const got: Uint8Array[] = [];
    reader.consume((f) => {
      got.push(f);
      if (got.length === 1) {
        reader.pause();
        setTimeout(() => reader.resume(), 50);
      }
    });
    const sent = [payload(0, 10), payload(1, 2 * MiB + 3), payload(2, 100), payload(3, 300_000)];
    for (const p of sent) writer.write(p);
    await until('four frames', () => got.length >= 4, 30_000, 5);
    for (let i = 0; i < sent.length; i++) assert.ok(same(got[i]!, sent[i]!), `frame ${i} intact`);
  } finally {
    await close();
  }
}
