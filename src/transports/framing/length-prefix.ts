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

const EMPTY = new Uint8Array(0);

/** Receives complete frames; a frame's memory belongs to the receiver. */
export type FrameHandler = (frame: Uint8Array) => void;

/**
 * A frame body up to this size is assembled in one buffer allocated at its announced length as
 * soon as its header is read, each later chunk copied in as it arrives (while it is still in
 * cache, and no chunk is held). A larger announced body is held as the chunks that bring it and
 * joined once complete, so a peer must send bytes, not just announce them, to make us hold them.
 */
const ASSEMBLE_AHEAD_LIMIT = 16 * 1024 * 1024;

/** Incremental decoder: feed it chunks as they arrive, it emits whole frames in order. */
export class LengthPrefixDecoder {
  readonly #maxFrameSize: number;
  readonly #onFrame: FrameHandler;
  /** Header bytes of the pending frame while fewer than HEADER_BYTES have arrived. */
  readonly #head = new Uint8Array(HEADER_BYTES);
  #headBytes = 0;
  /** Body length of the pending frame, or -1 while its header is incomplete (or none is pending). */
  #need = -1;
  /** The pending body, allocated at `#need` bytes (bodies up to ASSEMBLE_AHEAD_LIMIT). */
  #body: Uint8Array | undefined;
  /** Chunks of a pending body larger than ASSEMBLE_AHEAD_LIMIT, joined when it is complete. */
  #parts: Uint8Array[] = [];
  /** Body bytes of the pending frame received so far. */
  #filled = 0;

  /** Memory for a body assembled ahead (default: fresh, exact); a lending input takes it from a pool. */
  allocate: (size: number) => Uint8Array = uninitialized;

  constructor(maxFrameSize: number, onFrame: FrameHandler) {
    this.#maxFrameSize = maxFrameSize;
    this.#onFrame = onFrame;
  }

  /** Bytes received for an incomplete frame, header included (for reassembly budgets). */
  get pendingBytes(): number {
    return this.#need < 0 ? this.#headBytes : HEADER_BYTES + this.#filled;
  }

  /** Body size of the pending frame (-1: none, or its header is incomplete). */
  get pendingSize(): number {
    return this.#need;
  }

  /** Body bytes of the pending frame still to come (0: none pending). */
  get pendingRest(): number {
    return this.#need < 0 ? 0 : this.#need - this.#filled;
  }

  /** True while a pending body is held as views of the chunks that brought it (over ASSEMBLE_AHEAD_LIMIT). */
  get holdsViews(): boolean {
    return this.#parts.length > 0;
  }

  /** Forgets the frame being assembled (its connection is giving up on this stream). */
  discard(): void {
    this.#headBytes = 0;
    this.#need = -1;
    this.#body = undefined;
    this.#parts = [];
    this.#filled = 0;
  }

  /** Feeds one chunk. Throws `ProtocolError` on a length above `maxFrameSize`. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    if (this.#headBytes > 0 || this.#need >= 0) {
      pos = this.#continuePending(chunk);
      if (pos < 0) return;
    }
    // Fast path: whole frames inside this chunk are delivered as views, with no copy.
    const len = chunk.length;
    while (len - pos >= HEADER_BYTES) {
      const size = readLength(chunk, pos);
      this.#check(size);
      const start = pos + HEADER_BYTES;
      if (len - start < size) {
        // A frame starts here but does not end in this chunk.
        this.#begin(size);
        this.#take(chunk, start, len);
        return;
      }
      pos = start + size;
      this.#onFrame(view(chunk, start, pos));
    }
    // Less than a header left.
    for (; pos < len; pos++) this.#head[this.#headBytes++] = chunk[pos]!;
  }

  /**
   * Where the next read may go straight into: the rest of the pending frame's body, when at least
   * `min` bytes of it are still to come (a read into it cannot take bytes of the next frame).
   * Undefined otherwise (no body pending, one held as parts, or too little of it left).
   */
  directTarget(min: number): Uint8Array | undefined {
    const body = this.#body;
    if (body === undefined || this.#need - this.#filled < min) return undefined;
    return view(body, this.#filled, this.#need);
  }

  /** True when nothing of a frame is pending (not even part of a header): the next byte starts a frame. */
  get idle(): boolean {
    return this.#need < 0 && this.#headBytes === 0;
  }

  /**
   * Takes a frame whose header was read and checked elsewhere and whose first `filled` body bytes
   * are already in `body` (read straight into it): delivered now if whole, else its rest comes
   * through `directTarget()` or `push()`. Only while `idle`; `body.length` is the frame's size.
   */
  adopt(body: Uint8Array, filled: number): void {
    this.#check(body.length);
    this.#need = body.length;
    this.#filled = filled;
    this.#body = body;
    this.#take(EMPTY, 0, 0);
  }

  /** `n` bytes were read straight into the last `directTarget()`: the body is delivered once complete. */
  advanceDirect(n: number): void {
    this.#filled += n;
    this.#take(EMPTY, 0, 0);
  }

  /** Continues a pending frame; returns where whole frames start in `chunk`, or -1 if consumed. */
  #continuePending(chunk: Uint8Array): number {
    let from = 0;
    if (this.#need < 0) {
      // Header still incomplete: take just enough bytes to read it.
      while (this.#headBytes < HEADER_BYTES && from < chunk.length) this.#head[this.#headBytes++] = chunk[from++]!;
      if (this.#headBytes < HEADER_BYTES) return -1;
      this.#headBytes = 0;
      const size = readLength(this.#head, 0);
      this.#check(size);
      this.#begin(size);
    }
    const end = Math.min(chunk.length, from + this.#need - this.#filled);
    this.#take(chunk, from, end);
    return this.#need < 0 ? end : -1;
  }

  /** A body of `size` bytes starts. */
  #begin(size: number): void {
    this.#need = size;
    this.#filled = 0;
    if (size <= ASSEMBLE_AHEAD_LIMIT) this.#body = this.allocate(size);
  }

  /** Takes bytes [from, end) of `chunk` into the pending body; delivers it once complete. */
  #take(chunk: Uint8Array, from: number, end: number): void {
    if (end > from) {
      if (this.#body !== undefined) this.#body.set(chunk.subarray(from, end), this.#filled);
      else this.#parts.push(chunk.subarray(from, end));
      this.#filled += end - from;
    }
    if (this.#filled < this.#need) return;
    const whole = this.#body ?? concat(this.#parts, this.#filled);
    this.#body = undefined;
    this.#parts = [];
    this.#filled = 0;
    this.#need = -1;
    this.#onFrame(whole);
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
