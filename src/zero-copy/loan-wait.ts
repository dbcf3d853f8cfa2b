/**
 * Waiting for a free run in a pool. Receivers free runs by clearing a bit in shared memory and
 * send nothing (no message per release), so a loan that finds no room looks again: at once on the
 * next turns (a release is often a few µs away), then on timers backing off to 8 ms, bounded by
 * `timeout` and `signal`. It never blocks the event loop.
 * @module
 */
import { AbortedError, TimeoutError } from '../errors.js';

/** Resolves with `attempt()`'s first defined result; rejects on timeout or abort. */
export function waitFor<T>(attempt: () => T | undefined, what: string, options: { signal?: AbortSignal | undefined; timeout: number }): Promise<T> {
  const first = attempt();
  if (first !== undefined) return Promise.resolve(first);
  const { signal, timeout } = options;
  if (signal?.aborted) return Promise.reject(new AbortedError(what, signal.reason));
  return new Promise<T>((resolve, reject) => {
    let tries = 0;
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    const deadline = setTimeout(() => finish(new TimeoutError(what, timeout)), timeout);
    const onAbort = (): void => finish(new AbortedError(what, signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: T | Error): void => {
      clearTimeout(deadline);
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      signal?.removeEventListener('abort', onAbort);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const again = (): void => {
      let got: T | undefined;
      try {
        got = attempt();
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (got !== undefined) {
        finish(got);
        return;
      }
      tries++;
      if (tries < 16) immediate = setImmediate(again);
      else timer = setTimeout(again, Math.min(8, 1 << Math.min(3, (tries - 16) >> 2)));
    };
    immediate = setImmediate(again);
  });
}
