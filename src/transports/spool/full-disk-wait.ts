/**
 * The hub's side of a full disk: a batch its `down` log could not take is kept and tried again
 * every `RETRY_MS`, instead of ending the client's session and losing what was routed to it.
 * Meanwhile the connection reports no room, so the router holds (lossless backpressure) and,
 * past the hub's `maxStall`, treats the client as a slow consumer. A client's own connection
 * refuses the batch instead (its senders are told: ./spool-connection.ts).
 * @module
 */

/** How often a batch refused for want of room is tried again. */
const RETRY_MS = 100;

export class FullDiskWait {
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #over: Promise<void> = Promise.resolve();

  /** True from a refused append until the next try. */
  get full(): boolean {
    return this.#timer !== undefined;
  }

  /** Resolves when the next try is due (at once when not full). */
  get over(): Promise<void> {
    return this.#over;
  }

  /** The disk refused a batch: `retry` runs in RETRY_MS. */
  start(retry: () => void): void {
    if (this.#timer) return;
    this.#over = new Promise((resolve) => { this.#wake = resolve; });
    this.#timer = setTimeout(() => {
      this.stop();
      retry();
    }, RETRY_MS);
  }

  /** No more waiting (the next try is due, or the connection is released). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
    this.#wake = undefined;
  }
}
