/**
 * Length-prefixed framing for byte streams (Unix sockets, pipes, FIFOs).
 *
 * Wire format: each frame is a 4-byte unsigned length in **big-endian** (network) byte order,
 * followed by that many bytes. A zero-length frame is valid. Reads may split or merge frames
 * anywhere; the decoder copes with both. Lengths above `maxFrameSize` are a protocol error,
 * detected from the header alone, before any memory is set aside for the body.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { uninitialized, view } from '../../bytes.js';

/** Bytes in the length header. */
export const HEADER_BYTES = 4;

/** Receives complete frames; a frame's memory belongs to the receiver. */
export type FrameHandler = (frame: Uint8Array) => void;

/** Incremental decoder: feed it chunks as they arrive, it emits whole frames in order. */
export class LengthPrefixDecoder {
  readonly #maxFrameSize: number;
  readonly #onFrame: FrameHandler;
  /** Chunks of the frame being assembled (header included) when one chunk was not enough. */
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  /** Body length of the pending frame, or -1 while its header is incomplete. */
  #need = -1;

  constructor(maxFrameSize: number, onFrame: FrameHandler) {
    this.#maxFrameSize = maxFrameSize;
    this.#onFrame = onFrame;
  }

  /** Bytes held for an incomplete frame (for reassembly budgets). */
  get pendingBytes(): number {
    return this.#partBytes;
  }

  /** Forgets the frame being assembled (its connection is giving up on this stream). */
  discard(): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#need = -1;
  }

  /** Feeds one chunk. Throws `ProtocolError` on a length above `maxFrameSize`. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    if (this.#partBytes > 0) {
      pos = this.#continuePending(chunk);
      if (pos < 0) return;
    }
    // Fast path: whole frames inside this chunk are delivered as views, with no copy.
    const len = chunk.length;
    while (len - pos >= HEADER_BYTES) {
      const size = readLength(chunk, pos);
      this.#check(size);
      if (len - pos - HEADER_BYTES < size) break;
      const start = pos + HEADER_BYTES;
      pos = start + size;
      this.#onFrame(view(chunk, start, pos));
    }
    if (pos < len) {
      // A frame starts here but does not end in this chunk: keep its bytes.
      if (len - pos >= HEADER_BYTES) this.#need = readLength(chunk, pos);
      this.#hold(chunk.subarray(pos));
    }
  }

  /** Continues a pending frame; returns where whole frames start in `chunk`, or -1 if consumed. */
  #continuePending(chunk: Uint8Array): number {
    if (this.#need < 0) {
      // Header still incomplete: take just enough bytes to read it.
      const want = HEADER_BYTES - this.#partBytes;
      if (chunk.length < want) {
        this.#hold(chunk);
        return -1;
      }
      this.#hold(chunk.subarray(0, want));
      const header = concat(this.#parts, this.#partBytes);
      this.#parts = [header];
      this.#need = readLength(header, 0);
      this.#check(this.#need);
      return this.#continueBody(chunk, want);
    }
    return this.#continueBody(chunk, 0);
  }

  #continueBody(chunk: Uint8Array, from: number): number {
    const missing = HEADER_BYTES + this.#need - this.#partBytes;
    const available = chunk.length - from;
    if (available < missing) {
      if (available > 0) this.#hold(chunk.subarray(from));
      return -1;
    }
    this.#hold(chunk.subarray(from, from + missing));
    const whole = concat(this.#parts, this.#partBytes);
    this.#parts = [];
    this.#partBytes = 0;
    this.#need = -1;
    this.#onFrame(whole.subarray(HEADER_BYTES));
    return from + missing;
  }

  #hold(part: Uint8Array): void {
    this.#parts.push(part);
    this.#partBytes += part.length;
  }

  #check(size: number): void {
    if (size > this.#maxFrameSize) {
      throw new ProtocolError(`frame length ${size} exceeds maxFrameSize=${this.#maxFrameSize}`);
    }
  }
}

/** Reads a big-endian u32 length at `pos`. */
export function readLength(buf: Uint8Array, pos: number): number {
  return ((buf[pos]! << 24) >>> 0) + (buf[pos + 1]! << 16) + (buf[pos + 2]! << 8) + buf[pos + 3]!;
}

/** Writes a big-endian u32 length at `pos`. */
export function writeLength(buf: Uint8Array, pos: number, size: number): void {
  buf[pos] = size >>> 24;
  buf[pos + 1] = (size >>> 16) & 0xff;
  buf[pos + 2] = (size >>> 8) & 0xff;
  buf[pos + 3] = size & 0xff;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  // Every byte is written below: no zero-fill (a 1 MiB frame arrives in ~16 reads).
  const out = uninitialized(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
