/**
 * Pacing of NatsFabric's publishing by the server's confirmations: at most `maxBytes` sent but
 * not yet confirmed by a PING/PONG (`nc.flush()`). A PING starts once half the budget is used,
 * so the next confirmation is usually on its way before publishers have to wait.
 * @module
 */
export class InFlightBudget {
  readonly #maxBytes: number;
  readonly #ping: () => Promise<void>;
  readonly #live: () => boolean;
  /** Bytes sent but not yet confirmed. */
  #bytes = 0;
  #flushing: Promise<void> | undefined;

  /** `ping`: the server's confirmation of everything sent so far; `live`: still connected and open. */
  constructor(maxBytes: number, ping: () => Promise<void>, live: () => boolean) {
    this.#maxBytes = maxBytes;
    this.#ping = ping;
    this.#live = live;
  }

  /** True when the whole budget is used: the next publisher must wait (`settled`). */
  get full(): boolean {
    return this.#bytes >= this.#maxBytes;
  }

  /** Counts `size` bytes just handed to the client. */
  add(size: number): void {
    this.#bytes += size;
  }

  /** After a publish: starts a confirmation at half the budget; returns the wait when all of it is used. */
  afterSend(): Promise<void> | undefined {
    if (this.#bytes >= this.#maxBytes / 2 && this.#flushing === undefined) this.confirm();
    return this.#bytes < this.#maxBytes ? undefined : this.settled();
  }

  /** Resolves once the in-flight bytes are under budget again (or the fabric is disconnected). */
  async settled(): Promise<void> {
    if (this.full && this.#flushing === undefined) this.confirm();
    while (this.#flushing !== undefined && this.#bytes >= this.#maxBytes) await this.#flushing;
  }

  /** Asks the server to confirm what was sent, unless a confirmation is on its way or nothing waits. */
  confirm(): void {
    if (this.#flushing !== undefined || this.#bytes === 0) return;
    const covered = this.#bytes;
    this.#flushing = this.#ping().then(
      () => { this.#bytes = Math.max(0, this.#bytes - covered); },
      // Disconnected: what was in flight is either delivered or lost; it no longer counts.
      () => { this.#bytes = 0; },
    ).finally(() => {
      this.#flushing = undefined;
      if (this.#live() && this.#bytes >= this.#maxBytes / 2) this.confirm();
    });
  }
}
