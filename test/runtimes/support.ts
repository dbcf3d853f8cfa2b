/**
 * Which URL schemes work on which runtime: the data behind the README's runtime table (a test
 * checks the table against it) and behind the suites run under Deno and Bun.
 */
import { test } from 'uvu';
import { compiled, runUnder, type RuntimeName } from './run-under.js';

/** Schemes whose Bus conformance suite passes on each runtime besides Node (which has all). */
export const works: Record<RuntimeName, readonly string[]> = {
  deno: ['unix', 'pipe', 'fifo', 'sysvmq', 'shm', 'file', 'memory', 'nats'],
  bun: ['unix', 'sysvmq', 'file', 'memory', 'nats'],
};

/** Schemes refused with UnsupportedError, with the missing runtime feature. */
export const refused: Record<RuntimeName, Readonly<Record<string, string>>> = {
  deno: {},
  bun: { pipe: 'fd-streams', fifo: 'fd-poll', shm: 'fd-streams' },
};

/**
 * Schemes whose Transport conformance suite also runs under each runtime: every working scheme
 * whose transport reaches a seam that differs per runtime (node:net over sockets and fds,
 * koffi/N-API calls and helper threads, fd polling, child-process fds). `file://` and
 * `memory://` are plain JavaScript over node:fs and in-process objects: their Bus suites already
 * run under both runtimes, and their Transport suites would add minutes and no new code path.
 * `nats://` is a Fabric, not a Transport: it has only the Bus suite (on Node too).
 */
const samePerRuntime: readonly string[] = ['file', 'memory', 'nats'];
export const transportSuiteSchemes = (runtime: RuntimeName): readonly string[] =>
  works[runtime].filter((scheme) => !samePerRuntime.includes(scheme));

/** One uvu test: the Transport conformance suite of `scheme`, run whole under `runtime`. */
export function transportSuiteUnder(runtime: RuntimeName, scheme: string): void {
  test(`the Transport suite on ${scheme}:// passes under ${runtime}`, async () => {
    await runUnder(runtime, compiled(`conformance/transport-${scheme}.test`), { timeoutMs: 220_000 });
  });
  test.run();
}

/** One uvu test: the Bus conformance suite of `scheme`, run whole under `runtime`. */
export function busSuiteUnder(runtime: RuntimeName, scheme: string): void {
  test(`the Bus suite on ${scheme}:// passes under ${runtime}`, async () => {
    await runUnder(runtime, compiled(`conformance/bus-${scheme}.test`), { timeoutMs: 220_000 });
  });
  test.run();
}
