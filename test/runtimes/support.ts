/**
 * Which URL schemes work on which runtime: the data behind the README's runtime table (a test
 * checks the table against it) and behind the suites run under Deno and Bun.
 */
import { test } from 'uvu';
import { compiled, runUnder, type RuntimeName } from './run-under.js';

/** Schemes whose Bus conformance suite passes on each runtime besides Node (which has all). */
export const works: Record<RuntimeName, readonly string[]> = {
  deno: ['unix', 'pipe', 'fifo', 'sysvmq', 'shm', 'file', 'memory'],
  bun: ['unix', 'sysvmq', 'file', 'memory'],
};

/** Schemes refused with UnsupportedError, with the missing runtime feature. */
export const refused: Record<RuntimeName, Readonly<Record<string, string>>> = {
  deno: {},
  bun: { pipe: 'fd-streams', fifo: 'fd-poll', shm: 'fd-streams' },
};

/** One uvu test: the Bus conformance suite of `scheme`, run whole under `runtime`. */
export function busSuiteUnder(runtime: RuntimeName, scheme: string): void {
  test(`the Bus suite on ${scheme}:// passes under ${runtime}`, async () => {
    await runUnder(runtime, compiled(`conformance/bus-${scheme}.test`), { timeoutMs: 220_000 });
  });
  test.run();
}
