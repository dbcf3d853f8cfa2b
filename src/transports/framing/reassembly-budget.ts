/**
 * Budgets for frames still being reassembled, so peers announcing huge frames and sending them
 * slowly cannot exhaust memory: each connection holds at most one partial frame (bounded by its
 * `maxFrameSize`), all connections of a process together at most `PROCESS_BUDGET` bytes, and a
 * partial frame that makes no progress for `partialFrameTimeout` ends its connection.
 *
 * Fairness: when a read takes the process past its budget, the connection refused is the one
 * holding the **largest** partial frame, not the one that happened to read last. Strangers that
 * fill the budget with huge slow frames therefore lose their own connections, and a connection
 * whose partial frame is at most `budget / (connections holding one)` is never the one refused
 * (the largest holder holds more than that average whenever the budget is exceeded).
 * @module
 */
import { ProtocolError } from '../../errors.js';

/** Bytes of partial frames a process holds across all its connections (default 256 MiB). */
export const PROCESS_BUDGET = 256 * 1024 * 1024;
/** ms a partial frame may wait for its next bytes (default 30 s). */
export const PARTIAL_FRAME_TIMEOUT = 30_000;

/** The process-wide account (one per process: memory is per process). */
let held = 0;
const budget = PROCESS_BUDGET;
/** Accounts holding a partial frame now. */
const holders = new Set<ReassemblyAccount>();

/** Bytes of partial frames the process holds now (for tests and stats). */
export function processHeld(): number {
  return held;
}

/** Tracks one connection's share of the process budget and its partial-frame timer. */
export class ReassemblyAccount {
  #mine = 0;
  #timer: NodeJS.Timeout | undefined;
  #refused = false;
  readonly #timeout: number;
  readonly #onFail: (err: ProtocolError) => void;

  /** `onFail`: the partial frame stalled, or this connection was refused to fit the budget. */
  constructor(timeout: number, onFail: (err: ProtocolError) => void) {
    this.#timeout = timeout;
    this.#onFail = onFail;
  }

  /**
   * Records the connection's pending bytes after a read. Past the process budget it refuses the
   * largest holder: another one through its `onFail`, or this one by throwing.
   */
  update(pending: number): void {
    if (this.#refused) return;
    held += pending - this.#mine;
    const grew = pending > this.#mine;
    this.#mine = pending;
    if (pending === 0) {
      holders.delete(this);
      // The timer stays armed and does nothing if it fires with nothing pending: a stream read
      // in place has a partial frame after every other read, and a timer made and cleared per
      // frame cost more than the rest of the read (64 KiB frames, hub side).
    } else if (this.#timer === undefined) {
      holders.add(this);
      this.#timer = setTimeout(() => this.#expired(), this.#timeout);
      this.#timer.unref();
    } else {
      holders.add(this);
      // Bytes arrived (update runs per read): progress, even when a frame completed and the
      // next partial one is no larger than the last.
      this.#timer.refresh();
    }
    while (grew && held > budget) {
      const largest = ReassemblyAccount.#largest(this);
      const err = new ProtocolError(`partial frames of all connections exceed the process budget of ${budget} bytes;`
        + ` this connection held the largest (${largest.#mine} bytes)`);
      if (largest === this) {
        this.#drop();
        throw err;
      }
      largest.#fail(err);
    }
  }

  #expired(): void {
    this.#timer = undefined;
    if (this.#mine === 0) return;
    this.#fail(new ProtocolError(
      `a partial frame (${this.#mine} bytes) made no progress for partialFrameTimeout=${this.#timeout}ms`));
  }

  /** Refuses this connection: gives its share back at once, then tells its owner. */
  #fail(err: ProtocolError): void {
    if (this.#refused) return;
    this.#drop();
    this.#onFail(err);
  }

  #drop(): void {
    this.update(0);
    this.#refused = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The holder of the largest partial frame; `self` loses ties (it is the one making progress). */
  static #largest(self: ReassemblyAccount): ReassemblyAccount {
    let best = self;
    for (const a of holders) if (a.#mine > best.#mine || (a.#mine === best.#mine && best === self)) best = a;
    return best;
  }

  /** Gives the connection's share back (on close, or when its input is abandoned). */
  release(): void {
    this.#drop();
  }
}
