/**
 * Watchdogs for single waits inside a test (the runner also kills whole files).
 *
 * A watchdog is there to turn a hang into a clear message, never to assert speed, so its time
 * grows with the machine's load: on a 2-core machine at a load average of 13 a child process
 * can take many seconds to start, and a fixed 10 s wait then failed a test that was only slow.
 * Each wait's `ms` is multiplied by {@link watchdogScale}.
 */
import { availableParallelism, loadavg } from 'node:os';

/** The largest automatic stretch: a real hang still ends in a few minutes, not an hour. */
const MAX_LOAD_SCALE = 8;

/**
 * The factor every watchdog time is multiplied by: `UNIBUS_TEST_WATCHDOG_SCALE` when set (a
 * positive number), otherwise the 1-minute load average per core, at least 1 and at most 8.
 * Read at the start of each wait, so a wait begun under load gets the longer time.
 * @example
 * // UNIBUS_TEST_WATCHDOG_SCALE=4 node test/run.mjs   (a slow emulator: every watchdog x4)
 */
export function watchdogScale(): number {
  const set = Number(process.env.UNIBUS_TEST_WATCHDOG_SCALE);
  if (Number.isFinite(set) && set > 0) return set;
  const perCore = loadavg()[0] / availableParallelism();
  return Math.min(MAX_LOAD_SCALE, Math.max(1, perCore));
}

/** Rejects with a clear message if `promise` does not settle within `ms` (times {@link watchdogScale}). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  const limit = Math.round(ms * watchdogScale());
  let timer: NodeJS.Timeout | undefined;
  const dog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} did not finish within ${limit}ms`)), limit);
  });
  try {
    return await Promise.race([promise, dog]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` until it returns a truthy value (a readiness signal, not a timing assumption);
 * gives up after `ms` times {@link watchdogScale}.
 */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 10_000, every = 20): Promise<NonNullable<T>> {
  const limit = Math.round(ms * watchdogScale());
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`watchdog: ${what} not reached within ${limit}ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Resolves with the error `fn` rejects with; fails the test when it resolves or throws another kind. */
export async function rejectsWith<E extends Error>(fn: () => Promise<unknown>, kind: new (...args: never[]) => E): Promise<E> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof kind) return err;
    throw new Error(`expected ${kind.name}, got ${(err as Error)?.name}: ${(err as Error)?.message}`);
  }
  throw new Error(`expected ${kind.name}, but it resolved`);
}
