/**
 * Waiting by non-blocking tries on a backoff timer (./backoff.ts): the way every lock and
 * semaphore wait in unibus works, so no thread-pool thread is ever parked on a kernel wait.
 *
 * The delay doubles from `minDelay` to `maxDelay` with jitter (so many waiters do not retry in
 * lockstep). The wait ends with the try's result, a `TimeoutError`, an `AbortedError` (the
 * signal's reason as `cause`), or the error the owner cancels it with (`ClosedError` on close).
 * @module
 */
import { AbortedError, TimeoutError } from '../errors.js';
import { Backoff } from './backoff.js';

/** Options of every wait. */
export interface WaitOptions {
  /** Cancels the wait; it rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds with `TimeoutError` (default: wait forever). */
  timeout?: number;
}

/** Delays of the retry timer (ms). */
export interface BackoffDelays {
  minDelay?: number;
  maxDelay?: number;
  /**
   * Tries on the next turns (setImmediate) before the timer starts, for waits whose condition is
   * usually met within microseconds (a pool slot another process frees). Default 0.
   */
  eagerTurns?: number;
}

/** A set of pending waits that the owner can cancel at once (on `close()`). */
export class WaitSet {
  readonly #cancels = new Set<(err: Error) => void>();
  /** Pending waits' next try, run early by {@link poke}. */
  readonly #tries = new Set<() => void>();

  /** Rejects every pending wait with `err`. */
  cancelAll(err: Error): void {
    for (const cancel of [...this.#cancels]) cancel(err);
  }

  get size(): number {
    return this.#cancels.size;
  }

  /**
   * Every pending wait tries again now instead of at its timer: for owners told that the
   * condition may hold (a pool slot was freed), so a wait need not poll finely.
   */
  poke(): void {
    for (const again of [...this.#tries]) again();
  }

  /**
   * Calls `attempt` now and then on a backoff timer until it returns a value other than
   * `undefined`, which the promise resolves to.
   */
  retry<T>(what: string, attempt: () => T | undefined, options: WaitOptions & BackoffDelays = {}): Promise<T> {
    const { signal, timeout } = options;
    if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
      throw new RangeError(`Timeout must be a non-negative number of milliseconds: timeout=${timeout}`);
    }
    const minDelay = options.minDelay ?? 1;
    const maxDelay = options.maxDelay ?? 50;
    if (signal?.aborted) return Promise.reject(new AbortedError(what, signal.reason));
    let first: T | undefined;
    try {
      first = attempt();
    } catch (err) {
      return Promise.reject(err);
    }
    if (first !== undefined) return Promise.resolve(first);
    if (timeout === 0) return Promise.reject(new TimeoutError(what, 0));

    return new Promise<T>((resolve, reject) => {
      const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
      const backoff = new Backoff({ initial: minDelay, max: maxDelay, jitter: 0.5 });
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      let eager = options.eagerTurns ?? 0;
      const finish = (err: Error | undefined, value?: T): void => {
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        signal?.removeEventListener('abort', onAbort);
        this.#cancels.delete(cancel);
        this.#tries.delete(poked);
        if (err) reject(err);
        else resolve(value as T);
      };
      const cancel = (err: Error): void => finish(err);
      const onAbort = (): void => finish(new AbortedError(what, signal?.reason));
      const tick = (): void => {
        let value: T | undefined;
        try {
          value = attempt();
        } catch (err) {
          finish(err as Error);
          return;
        }
        if (value !== undefined) return finish(undefined, value);
        const left = deadline - Date.now();
        if (left <= 0) return finish(new TimeoutError(what, timeout!));
        schedule(left);
      };
      // Poked: the timer (or the next turn's try) is replaced by a try now.
      const poked = (): void => {
        clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
        immediate = undefined;
        tick();
      };
      const schedule = (left: number): void => {
        immediate = undefined;
        if (eager > 0) {
          eager--;
          immediate = setImmediate(tick);
        } else timer = setTimeout(tick, Math.min(left, backoff.next()));
      };
      this.#cancels.add(cancel);
      this.#tries.add(poked);
      signal?.addEventListener('abort', onAbort, { once: true });
      schedule(Math.max(0, deadline - Date.now()));
    });
  }
}
