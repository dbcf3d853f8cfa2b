/**
 * Budgets for frames still being reassembled, so peers announcing huge frames and sending them
 * slowly cannot exhaust memory: each connection holds at most one partial frame (bounded by its
 * `maxFrameSize`), all connections of a process together at most `PROCESS_BUDGET` bytes, and a
 * partial frame that makes no progress for `partialFrameTimeout` ends its connection.
 * @module
 */
import { ProtocolError } from '../../errors.js';

/** Bytes of partial frames a process holds across all its connections (default 256 MiB). */
export const PROCESS_BUDGET = 256 * 1024 * 1024;
/** ms a partial frame may wait for its next bytes (default 30 s). */
export const PARTIAL_FRAME_TIMEOUT = 30_000;

/** The process-wide account (one per process: memory is per process). */
let held = 0;

/** Tracks one connection's share of the process budget and its partial-frame timer. */
export class ReassemblyAccount {
  #mine = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #timeout: number;
  readonly #onTimeout: (err: ProtocolError) => void;

  constructor(timeout: number, onTimeout: (err: ProtocolError) => void) {
    this.#timeout = timeout;
    this.#onTimeout = onTimeout;
  }

  /** Records the connection's pending bytes after a read; throws past the process budget. */
  update(pending: number): void {
    held += pending - this.#mine;
    const grew = pending > this.#mine;
    this.#mine = pending;
    if (pending === 0) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#onTimeout(new ProtocolError(
        `a partial frame (${this.#mine} bytes) made no progress for partialFrameTimeout=${this.#timeout}ms`)), this.#timeout);
      this.#timer.unref();
    } else {
      // Bytes arrived (update runs per read): progress, even when a frame completed and the
      // next partial one is no larger than the last.
      this.#timer.refresh();
    }
    if (grew && held > PROCESS_BUDGET) {
      throw new ProtocolError(`partial frames of all connections exceed the process budget of ${PROCESS_BUDGET} bytes`);
    }
  }

  /** Gives the connection's share back (on close). */
  release(): void {
    this.update(0);
  }
}
