/**
 * Flow control of NatsFabric (`overflow: 'wait'`, `Fabric.pause`/`resume`). NATS core has no
 * end-to-end backpressure: a NATS publisher never waits for subscribers, and a client that stops
 * reading its socket is cut off by the server as a slow consumer (its own PONGs unread, so this
 * fabric's publish confirmations would stall too). So the fabric keeps reading, and while the
 * Bus has paused it, messages wait here, in arrival order, instead of reaching their handlers.
 * The wait is bounded in bytes (`maxPausedBytes`): past it the arriving message is dropped,
 * counted, and reported as a slow consumer, as a hub drops a subscriber past `maxPendingBytes`.
 * @module
 */
import type { WireMessage } from '../fabric.js';

/** Where a message goes once the gate lets it through. */
export interface GateTarget {
  /** False once the subscription ended: what waited for it is discarded. */
  readonly live: boolean;
  handle(message: WireMessage): void;
}

interface Waiting {
  readonly target: GateTarget;
  readonly message: WireMessage;
  readonly size: number;
}

export class DeliveryGate {
  readonly #maxBytes: number;
  readonly #onOverflow: (detail: string) => void;
  #paused = false;
  #waiting: Waiting[] = [];
  #head = 0;
  #bytes = 0;
  #scheduled = false;
  /** True from the first drop until the queue empties (one slow-consumer report per episode). */
  #overflowing = false;
  #emptied: Array<() => void> = [];
  /** Messages dropped because the queue was past `maxBytes`. */
  dropped = 0;

  /** `onOverflow` is told once per episode of drops (the fabric reports a slow consumer). */
  constructor(maxBytes: number, onOverflow: (detail: string) => void) {
    this.#maxBytes = maxBytes;
    this.#onOverflow = onOverflow;
  }

  /** Messages waiting now. */
  get size(): number {
    return this.#waiting.length - this.#head;
  }

  /** Hands `message` to `target` now, or queues it behind those already waiting. */
  pass(target: GateTarget, message: WireMessage, size: number): void {
    if (!this.#paused && this.size === 0) {
      target.handle(message);
      return;
    }
    if (this.#bytes + size > this.#maxBytes) {
      this.dropped++;
      if (!this.#overflowing) {
        this.#overflowing = true;
        this.#onOverflow(`a subscriber with overflow 'wait' stayed full past maxPausedBytes=${this.#maxBytes}; dropping messages (first: ${message.topic})`);
      }
      return;
    }
    this.#waiting.push({ target, message, size });
    this.#bytes += size;
  }

  pause(): void {
    this.#paused = true;
  }

  /** Lets the waiting messages through on a later turn (never inside the caller, an iterator's `next()`). */
  resume(): void {
    this.#paused = false;
    if (this.size === 0 || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#release();
    });
  }

  /** Resolves once nothing waits (drain's last step); at once when nothing does. */
  whenEmpty(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptied.push(resolve));
  }

  /** Discards everything waiting (the fabric closes). */
  clear(): void {
    this.#waiting = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#settle();
  }

  #release(): void {
    // A handler may pause again (another buffer filled): the rest waits for the next resume.
    while (!this.#paused && this.#head < this.#waiting.length) {
      const w = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = undefined as never;
      this.#bytes -= w.size;
      if (w.target.live) w.target.handle(w.message);
    }
    if (this.#head === this.#waiting.length) this.clear();
  }

  #settle(): void {
    this.#overflowing = false;
    for (const resolve of this.#emptied.splice(0)) resolve();
  }
}
