/**
 * Frame lending for a stream read in place (./frame-input.ts, ../frame-lending.ts): each whole
 * frame is first offered to one consumer that only passes it on (the hub's router forwarding a
 * PUB), as a view valid only during the call. What it uses up gives its memory back:
 * - a frame inside the receive chunk: when every frame of the chunk so far was used up (and the
 *   decoder holds no view of it), the next read goes to the chunk's start again, so a relaying
 *   hub reads every small frame into the same hot 64 KiB instead of fresh memory per read;
 * - a body assembled in a buffer of its own: back to the process's large-frame pool
 *   (./large-frame-pool.ts), where the next large body, received or sent, takes it.
 * A frame declined is delivered as before and is the receiver's for good: its chunk is never
 * read over again and its body buffer never goes back.
 *
 * Why: a hub relaying over unix:// put every frame in memory of its own (a fresh receive chunk
 * each 64 KiB, a fresh body per large frame) only to copy it into the subscriber's connection;
 * fresh memory is page faults and garbage collection.
 * @module
 */
import { uninitialized, view } from '../../bytes.js';
import { giveLargeFrame, takeLargeFrame } from './large-frame-pool.js';

/**
 * Frames from this size are lent; smaller ones are delivered (as over shm): offering a frame
 * costs the router a decode that is wasted when it declines (the hub's own subscription), and a
 * small frame's room in the chunk is not worth it.
 */
const LEND_FROM = 1024;
/**
 * After this many frames declined in a row, only every SKIP_AFTER_DECLINES-th frame is offered
 * until one is used: a hub whose own subscription takes a stream (client → hub) declines every
 * frame, and each offer cost the router a decode of its own.
 */
const DECLINES_IN_A_ROW = 8;
const SKIP_AFTER_DECLINES = 64;
/** Bodies from this size come from the pool while lending (smaller ones: exact, as before). */
const POOLED_BODY_MIN = 16 * 1024;

export class ChunkLending {
  /** The consumer offered each frame first; undefined: no lending (every frame is delivered). */
  use: ((frame: Uint8Array) => boolean) | undefined;
  /** A frame of the current chunk was delivered (kept): the chunk is never read over again. */
  #kept = false;
  /** The pool buffer of the body being assembled, if it came from the pool. */
  #body: Uint8Array | undefined;
  /** Frames declined in a row, and frames still to deliver without offering them. */
  #declined = 0;
  #skip = 0;

  /** A new receive chunk starts: nothing in it is kept yet. */
  freshChunk(): void {
    this.#kept = false;
  }

  /** True when nothing of the current chunk was kept: reads may go over it again. */
  chunkFree(): boolean {
    return this.use !== undefined && !this.#kept;
  }

  /** Room for a body of `size` bytes (the decoder's allocator while lending). */
  takeBody(size: number): Uint8Array {
    // A consumer declining every frame (the hub's own subscription taking a stream) keeps each
    // body: one from the pool would be fresh memory of its class size, up to a quarter more
    // than the frame (80 KiB for a 64 KiB payload), never given back.
    if (size < POOLED_BODY_MIN || this.#declined >= DECLINES_IN_A_ROW) {
      this.#body = undefined;
      return uninitialized(size);
    }
    const buf = takeLargeFrame(size);
    this.#body = buf;
    return view(buf, 0, size);
  }

  /** The body taken last is not a frame's own body after all (its bytes are decoded as a chunk): never given back. */
  forgetBody(): void {
    this.#body = undefined;
  }

  /** Offers `frame` (a view of `chunk`, or a whole body); true when it was used up. */
  offer(frame: Uint8Array, chunk: Uint8Array): boolean {
    const inChunk = frame.buffer === chunk.buffer;
    const body = !inChunk && this.#body !== undefined && frame.buffer === this.#body.buffer ? this.#body : undefined;
    if (body !== undefined) this.#body = undefined;
    let used = false;
    const offered = this.use !== undefined && frame.length >= LEND_FROM && (this.#skip === 0 || --this.#skip < 0);
    if (offered) {
      try {
        used = this.use!(frame);
      } finally {
        // Thrown or declined: the frame (or a view of it) may be held by someone.
        if (!used && inChunk) this.#kept = true;
      }
      if (used) {
        this.#declined = 0;
        if (body !== undefined) giveLargeFrame(body);
      } else if (++this.#declined >= DECLINES_IN_A_ROW) {
        this.#skip = SKIP_AFTER_DECLINES;
      }
      return used;
    }
    if (inChunk) this.#kept = true;
    return false;
  }
}
