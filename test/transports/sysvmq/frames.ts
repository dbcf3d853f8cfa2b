// Self-checking frames for sysvmq tests: tag(1) seq(4 BE) sha256(body)(32) body.
import { createHash, randomBytes } from 'node:crypto';

export function makeFrame(tag: number, seq: number, size: number): Uint8Array {
  const body = randomBytes(size - 37);
  const f = Buffer.alloc(size);
  f[0] = tag;
  f.writeUInt32BE(seq, 1);
  createHash('sha256').update(body).digest().copy(f, 5);
  body.copy(f, 37);
  return f;
}

/** The frame's tag and seq when its checksum holds, else null. */
export function checkFrame(frame: Uint8Array): { tag: number; seq: number } | null {
  const f = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (f.length < 37) return null;
  const digest = createHash('sha256').update(f.subarray(37)).digest();
  if (!digest.equals(f.subarray(5, 37))) return null;
  return { tag: f[0]!, seq: f.readUInt32BE(1) };
}
