/**
 * The one backoff of unibus: every retry timer (lock and semaphore waits, FIFO opens, System V
 * queue retries, hub reconnects, supervisor restarts) takes its delays from here.
 *
 * The delay before try `n` (0-based) is `initial * 2^n`, capped at `max`. With `jitter` (0 to 1)
 * a random part of up to that fraction is taken off, so many waiters do not retry in lockstep
 * and `max` stays a true cap. `sleep` waits for a delay and can be cut short by an AbortSignal.
 *
 * @example
 * ```ts
 * const retry = new Backoff({ initial: 5, max: 100, jitter: 0.5 });
 * while (!tryOnce()) await sleep(retry.next(), signal, 'connect');
 * ```
 * @module
 */
import { AbortedError } from '../errors.js';

/** How delays grow. */
export interface BackoffOptions {
  /** Delay before the first retry (ms). */
  readonly initial: number;
  /** Largest delay (ms). */
  readonly max: number;
  /** Fraction (0 to 1) of each delay that may randomly be taken off (default 0: none). */
  readonly jitter?: number;
}

/** The delay (ms) before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const base = Math.min(options.max, options.initial * 2 ** Math.min(attempt, 30));
  const jitter = options.jitter ?? 0;
  return jitter > 0 ? base * (1 - jitter * Math.random()) : base;
}

/** Successive delays of one retry loop; `reset()` after a success starts again from `initial`. */
export class Backoff {
  readonly options: BackoffOptions;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    const { initial, max, jitter = 0 } = options;
    if (!(initial >= 0) || !(max >= initial) || !(jitter >= 0 && jitter <= 1)) {
      throw new RangeError(`backoff needs 0 <= initial <= max and jitter in [0, 1]: initial=${initial} max=${max} jitter=${jitter}`);
    }
    this.options = options;
  }

  /** Retries so far (since the last reset). */
  get attempts(): number {
    return this.#attempt;
  }

  /** The delay before the next retry; counts that retry. */
  next(): number {
    return backoffDelay(this.#attempt++, this.options);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * Resolves after `ms`; rejects at once with `AbortedError` (`what`, the signal's reason as
 * `cause`) when `signal` aborts first. The timer is always cleared.
 */
export function sleep(ms: number, signal?: AbortSignal, what = 'wait'): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError(what, signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(what, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
