/** Watchdogs for single waits inside a test (the runner also kills whole files). */

/** Rejects with a clear message if `promise` does not settle within `ms`. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const dog = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${what} did not finish within ${ms}ms`)), ms);
  });
  try {
    return await Promise.race([promise, dog]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a truthy value (a readiness signal, not a timing assumption). */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 10_000, every = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`watchdog: ${what} not reached within ${ms}ms`);
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
