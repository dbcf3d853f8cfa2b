/** A wait bounded by an optional timeout and AbortSignal, with unibus's typed errors. */
import { AbortedError, TimeoutError } from '../errors.js';

/** Races `work` against an optional timeout and abort signal. */
export async function bounded<T>(work: Promise<T>, what: string, options: { signal?: AbortSignal; timeout?: number }): Promise<T> {
  const { signal, timeout } = options;
  if (signal?.aborted) throw new AbortedError(what, signal.reason);
  if (signal === undefined && timeout === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    if (timeout !== undefined) timer = setTimeout(() => reject(new TimeoutError(what, timeout)), timeout);
    if (signal !== undefined) {
      onAbort = () => reject(new AbortedError(what, signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal!.removeEventListener('abort', onAbort);
  }
}
