/**
 * Memory for small frames written while the outgoing ring is full: carved from chunks that are
 * reused once every frame cut from them is in the ring, so a sender that writes on past "full"
 * (a window of unawaited publishes) pays no fresh memory per frame.
 *
 * Why (issue 15, 4 KiB client → hub): a frame that found no room used to be encoded into the
 * publisher's own slab, fresh memory cut forward and never written again, and then copied into
 * the ring. The bench's publisher writes up to 1 MiB on after "full"; when the reader was the
 * slower side most of a run's frames took that path, and the client paid 0.04-0.3 page faults
 * per 4 KiB message for it (a fault costs 2-13 µs of CPU on these VMs). The frames wait in
 * order and leave in order, so a chunk is free again as soon as its last frame is in the ring.
 *
 * Chunks come from, and go back to, the process's store of large-frame buffers
 * (../framing/large-frame-pool.ts): bounded, shared with every connection.
 * @module
 */
import { giveLargeFrame, takeLargeFrame } from '../framing/large-frame-pool.js';
import { align } from './layout.js';

/** Bytes of one staging chunk: a few frames of the largest staged size, few chunks per MiB waiting. */
export const STAGING_CHUNK_BYTES = 256 * 1024;

/** One chunk and how many of the frames cut from it still wait to go into the ring. */
export interface StagingChunk {
  readonly bytes: Uint8Array;
  /** Frames cut from it and committed, not yet in the ring. */
  waiting: number;
}

/** The chunks of one connection's waiting small frames (see the module comment). */
export class Staging {
  /** The chunk frames are cut from now, if any. */
  #current: StagingChunk | undefined;
  #pos = 0;

  /**
   * Room for a frame of `size` bytes (at most STAGING_CHUNK_BYTES): its offset in the bytes of
   * `current`, the chunk it is cut from. Call `committed(current)` once the frame is written and
   * queued; an offset never used is lost room of the chunk, nothing else.
   */
  cut(size: number): number {
    let chunk = this.#current;
    if (chunk === undefined || this.#pos + size > chunk.bytes.length) {
      this.#retireCurrent();
      chunk = { bytes: takeLargeFrame(STAGING_CHUNK_BYTES), waiting: 0 };
      this.#current = chunk;
      this.#pos = 0;
    }
    const at = this.#pos;
    this.#pos = align(at + size);
    return at;
  }

  /** The chunk the last `cut` came from. */
  get current(): StagingChunk {
    return this.#current!;
  }

  /** A frame cut from `chunk` was committed: it waits for the ring. */
  committed(chunk: StagingChunk): void {
    chunk.waiting++;
  }

  /**
   * A frame cut from `chunk` is in the ring. Once none waits in it the chunk goes back to the
   * process's store, the current one too (the next frame that waits takes one from there, most
   * likely this one): a connection that once filled keeps no memory of its own. Safe for the
   * current one: a frame is cut and committed in one synchronous call, so nothing is cut from it
   * and not yet committed when this runs.
   */
  sent(chunk: StagingChunk): void {
    if (--chunk.waiting > 0) return;
    if (chunk === this.#current) this.#current = undefined;
    giveLargeFrame(chunk.bytes);
  }

  /** No frame will be cut any more (closing): the current chunk goes back when nothing waits in it. */
  close(): void {
    this.#retireCurrent();
  }

  #retireCurrent(): void {
    const chunk = this.#current;
    this.#current = undefined;
    if (chunk !== undefined && chunk.waiting === 0) giveLargeFrame(chunk.bytes);
  }
}
