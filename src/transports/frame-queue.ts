/**
 * The bounded queue of received frames a connection holds for an async iterator (pull mode):
 * reading pauses above a high-water mark and resumes below a low one, counted in frames and in
 * bytes (1024 frames of up to 16 MiB each would be no bound at all).
 * @module
 */

/** Frames buffered for an async iterator before reading pauses. */
const QUEUE_HIGH = 1024;
/** Reading resumes when the iterator has taken the queue below this. */
const QUEUE_LOW = 256;
/** The same bounds in bytes. */
const QUEUE_HIGH_BYTES = 8 * 1024 * 1024;
const QUEUE_LOW_BYTES = 2 * 1024 * 1024;

export class FrameQueue {
  #frames: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;

  /** Frames waiting. */
  get length(): number {
    return this.#frames.length - this.#head;
  }

  push(frame: Uint8Array): void {
    this.#frames.push(frame);
    this.#bytes += frame.length;
  }

  /** The oldest frame, or undefined when empty. */
  take(): Uint8Array | undefined {
    if (this.#head >= this.#frames.length) return undefined;
    const frame = this.#frames[this.#head]!;
    this.#frames[this.#head++] = undefined as never;
    this.#bytes -= frame.length;
    if (this.#head === this.#frames.length) {
      this.#frames = [];
      this.#head = 0;
    }
    return frame;
  }

  /** At or above the high-water mark: reading should pause. */
  get full(): boolean {
    return this.length >= QUEUE_HIGH || this.#bytes >= QUEUE_HIGH_BYTES;
  }

  /** Room to read on: below the high-water mark while reading, below the low one to start again. */
  hasRoom(reading: boolean): boolean {
    return this.length < (reading ? QUEUE_HIGH : QUEUE_LOW) && this.#bytes < (reading ? QUEUE_HIGH_BYTES : QUEUE_LOW_BYTES);
  }
}
