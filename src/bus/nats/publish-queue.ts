/**
 * What a NatsFabric cannot hand to the NATS client now: messages held while disconnected (up to
 * a byte budget), then publishers waiting for room, in FIFO order behind the held ones. While
 * the replay after a reconnect runs, new publishes queue here too, so order is kept.
 *
 * (The hub transports' `PublishHold` in ../hub/reconnect.ts holds the same way; this one also
 * paces the replay by the server's confirmations, so its waiters can be released one by one.)
 * @module
 */
import { DisconnectedError } from '../../errors.js';
import type { WireMessage } from '../fabric.js';

export interface Held {
  readonly message: WireMessage;
  /** Bytes counted into budgets (payload, topic, protocol overhead). */
  readonly size: number;
}

/** A publisher waiting for room; resolved once its message was handed to the client. */
export interface Waiter extends Held {
  resolve(): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class NatsPublishQueue {
  readonly #budget: number;
  readonly #maxStall: number;
  #held: Held[] = [];
  #heldBytes = 0;
  #waiters: Waiter[] = [];

  /** `budget`: bytes held before publishers wait; `maxStall`: ms a wait lasts while disconnected. */
  constructor(budget: number, maxStall: number) {
    this.#budget = budget;
    this.#maxStall = maxStall;
  }

  /** Messages held (not counting waiting publishers'). */
  get held(): number {
    return this.#held.length;
  }

  /** True while publishers wait: a new publish must queue behind them. */
  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /**
   * Holds `message` (returns undefined: accepted), or returns the publisher's wait. A wait
   * begun while disconnected fails with `DisconnectedError` after `maxStall`.
   */
  hold(message: WireMessage, size: number, connected: boolean): Promise<void> | undefined {
    if (this.#waiters.length === 0 && this.#heldBytes + size <= this.#budget) {
      this.#held.push({ message, size });
      this.#heldBytes += size;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { message, size, resolve, reject };
      if (!connected) {
        waiter.timer = setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i === -1) return;
          this.#waiters.splice(i, 1);
          reject(new DisconnectedError(`no NATS server for maxStall=${this.#maxStall}ms; message to ${message.topic} not sent`));
        }, this.#maxStall);
      }
      this.#waiters.push(waiter);
    });
  }

  /** Takes every held message, oldest first (the replay sends them). */
  takeHeld(): Held[] {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    return held;
  }

  /** Removes the oldest waiting publisher (its timer stopped); the caller sends, then resolves it. */
  nextWaiter(): Waiter | undefined {
    const w = this.#waiters.shift();
    if (w) clearTimeout(w.timer);
    return w;
  }

  /** Drops everything held and fails every waiting publisher; returns how many messages were dropped. */
  failAll(err: Error): number {
    const dropped = this.#held.length + this.#waiters.length;
    this.takeHeld();
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    return dropped;
  }
}
