/**
 * Waits on a counter that only grows: flushes the kernel has taken, bytes a queue has taken,
 * batches a log has appended. It is how a connection tells a `send()` that its frame is in the
 * medium (`BaseConnection.commits`, used by `committed()`), written once for every backend.
 * @module
 */

const RESOLVED = Promise.resolve();

interface Waiter {
  readonly target: number;
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class ProgressWaiters {
  #progress = 0;
  #waiters: Waiter[] = [];

  /** How far the counter has come. */
  get progress(): number {
    return this.#progress;
  }

  /** Waits not yet settled. */
  get size(): number {
    return this.#waiters.length;
  }

  /**
   * Resolves once the counter reaches `target` (at once when it has). Targets are asked in
   * order, so waiters resolve in order; one promise is shared by every wait for the same target.
   */
  wait(target: number): Promise<void> {
    if (target <= this.#progress) return RESOLVED;
    const last = this.#waiters[this.#waiters.length - 1];
    if (last?.target === target) return last.promise;
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    this.#waiters.push({ target, promise, resolve, reject });
    return promise;
  }

  /** The counter reached `progress`: resolves every wait up to it. */
  reached(progress: number): void {
    if (progress > this.#progress) this.#progress = progress;
    const waiters = this.#waiters;
    let n = 0;
    while (n < waiters.length && waiters[n]!.target <= this.#progress) waiters[n++]!.resolve();
    if (n > 0) this.#waiters = waiters.slice(n);
  }

  /** The counter will not reach the pending targets (the medium failed): rejects their waits. */
  failAll(err: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
  }
}
