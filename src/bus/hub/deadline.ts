/**
 * A deadline that is pushed back often and rarely reached, such as a peer's stall limit or
 * backpressure grace: each time a connection fills, the hub moves the deadline, and only a peer
 * that makes no progress for the whole period reaches it.
 *
 * One timer serves every push: `arm()` only records the new time, and the timer, when it fires
 * early, re-arms itself for what is left. A clearTimeout/setTimeout pair per fill cost 6% of the
 * hub's CPU in a hub -> client run under constant backpressure (issue 15's profile).
 * The timer is unref'd: a deadline never keeps a process alive on its own (the connection it
 * watches does, while it matters).
 * @example
 * ```ts
 * const stall = new Deadline(5_000, () => drop(peer));
 * stall.arm();    // the connection is full
 * stall.disarm(); // it drained in time
 * stall.cancel(); // the peer is gone: the timer goes too
 * ```
 */
export class Deadline {
  readonly #ms: number;
  readonly #onReached: () => void;
  #at = 0;
  #armed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, onReached: () => void) {
    this.#ms = ms;
    this.#onReached = onReached;
  }

  /** True between `arm()` and the deadline, `disarm()` or `cancel()`. */
  get armed(): boolean {
    return this.#armed;
  }

  /** The deadline is `ms` from now (pushed back when already armed). */
  arm(): void {
    this.#at = performance.now() + this.#ms;
    this.#armed = true;
    if (this.#timer === undefined) this.#timer = this.#start(this.#ms);
  }

  /** Not reached this time; the timer lapses on its own (cheap to `arm()` again soon). */
  disarm(): void {
    this.#armed = false;
  }

  /** Disarms and drops the timer now (the owner is finished). */
  cancel(): void {
    this.#armed = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #start(ms: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(this.#check, ms);
    timer.unref?.();
    return timer;
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    if (!this.#armed) return;
    const left = this.#at - performance.now();
    if (left > 0.5) {
      this.#timer = this.#start(left);
      return;
    }
    this.#armed = false;
    this.#onReached();
  };
}
