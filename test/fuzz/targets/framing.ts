/** Length-prefix framing (unix, pipe, fifo, sysvmq byte streams) against a reference decoder. */
import fc from 'fast-check';
import { LengthPrefixDecoder, writeLength } from '../../../src/transports/framing/length-prefix.js';
import { ProtocolError } from '../../../src/errors.js';
import { bytesInput, expect, instanceOfAny, sameBytes, type FuzzTarget } from '../target.js';

function encodeFrames(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0));
  let at = 0;
  for (const f of frames) { writeLength(out, at, f.length); out.set(f, at + 4); at += 4 + f.length; }
  return out;
}

/** What a correct decoder does with the whole stream: frames, then either an error or a remainder. */
function reference(stream: Uint8Array, max: number): { frames: Uint8Array[]; tooLarge: boolean; rest: number } {
  const frames: Uint8Array[] = [];
  let at = 0;
  while (stream.length - at >= 4) {
    const n = new DataView(stream.buffer, stream.byteOffset).getUint32(at);
    if (n > max) return { frames, tooLarge: true, rest: 0 };
    if (stream.length - at - 4 < n) break;
    frames.push(stream.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return { frames, tooLarge: false, rest: stream.length - at };
}

interface Input { stream: Uint8Array; cuts: number[]; max: number }

const valid = fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 8 }).map(encodeFrames);

export const framing: FuzzTarget<Input> = {
  name: 'framing.length-prefix',
  input: fc.record({
    stream: bytesInput(valid, 600),
    cuts: fc.array(fc.nat(700), { maxLength: 12 }),
    max: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.constant(16 * 1024 * 1024)),
  }),
  run({ stream, cuts, max }) {
    const got: Uint8Array[] = [];
    const decoder = new LengthPrefixDecoder(max, (f) => got.push(Uint8Array.from(f)));
    const ref = reference(stream, max);
    const points = [...new Set(cuts.filter((c) => c < stream.length))].sort((a, b) => a - b);
    let from = 0;
    try {
      for (const to of [...points, stream.length]) { decoder.push(stream.subarray(from, to)); from = to; }
    } catch (err) {
      // Rejected: only when a length above max really was there, after exactly the frames before it.
      expect(ref.tooLarge && got.length <= ref.frames.length, `rejected a stream the reference accepts (${String(err)})`);
      throw err;
    }
    expect(!ref.tooLarge, 'a length above maxFrameSize was accepted');
    expect(got.length === ref.frames.length, `frames: got ${got.length}, expected ${ref.frames.length}`);
    got.forEach((f, i) => expect(sameBytes(f, ref.frames[i]!), `frame ${i} differs`));
    expect(decoder.pendingBytes === ref.rest, `pendingBytes=${decoder.pendingBytes}, expected ${ref.rest}`);
  },
  typed: instanceOfAny(ProtocolError),
};
