/**
 * Flow control for the copy figures of run.ts: the publisher publishes until told to stop, so a
 * copy publisher faster than its subscriber would fill the hub's queue for it (1 GiB here) and
 * the hub would drop the subscriber as a slow consumer (what the 1 MiB-16 MiB relayed copies did
 * once the publisher stopped publishing a fixed count). The receiver grants credit on
 * `zc.credit` (the count it has received) every quarter window; the publisher stays at most a
 * window ahead. Loans need none: the pool bounds what is in flight, as for a user.
 * @module
 */
import type { Bus } from '../../src/index.js';

/** Messages a copy publisher may be ahead of its receiver: 256 MiB of payload, 16 to 65,536 messages. */
export const copyCredit = (size: number): number => Math.max(16, Math.min(65_536, Math.floor(2 ** 28 / Math.max(1, size))));

/** The receiver's side: call with the count received after each message. */
export function creditGrant(bus: Bus, size: number): (received: number) => void {
  const every = Math.max(1, copyCredit(size) >> 2);
  return (received) => {
    if (received % every === 0) void bus.publish('zc.credit', received).catch(() => undefined);
  };
}

/** The publisher's side: message `i` may go when `i <= limit`, else after `await until(i)`. */
export class CreditWait {
  /** The last message that may be published now. */
  limit: number;
  #wake: (() => void) | undefined;
  readonly #window: number;

  constructor(bus: Bus, size: number) {
    this.#window = copyCredit(size);
    this.limit = this.#window;
    bus.subscribe('zc.credit').subscribe((m) => {
      this.limit = Math.max(this.limit, Number(m.data) + this.#window);
      this.#wake?.();
    });
  }

  async until(i: number): Promise<void> {
    while (i > this.limit) await new Promise<void>((resolve) => { this.#wake = resolve; });
  }

  /** Stops waiting for credit (told to stop, or the parent is gone): a receiver that died grants none. */
  release(): void {
    this.limit = Infinity;
    this.#wake?.();
  }
}
