/**
 * The Transport and Bus conformance suites as functions: give one a `TransportFixture` and it
 * registers its cases with the `uvu` test runner and runs them (one test file per suite and
 * scheme, so each runs in its own process). `uvu` is loaded only when a suite is called, so the
 * rest of the kit works without it.
 *
 * @example
 * ```ts
 * // test/abstract-transport.test.ts
 * import { transportSuite } from 'unibus/transport-kit';
 * import { abstractFixture } from './fixture.js';
 * await transportSuite(abstractFixture);
 * ```
 * @module
 */
import type { TransportFixture } from './fixture.js';

export type { TransportFixture } from './fixture.js';
export { Child, ChildSet, spawnNode, script, preloadArgs } from './processes.js';
export { within, until, rejectsWith, watchdogScale } from './watchdog.js';

/** Runs the Transport suite (the guarantees of the Transport contract) against `fixture`. */
export async function transportSuite(fixture: TransportFixture): Promise<void> {
  (await load(() => import('./transport-suite.js'))).transportSuite(fixture);
}

/** Runs the Bus suite (the same Bus semantics on every scheme) against `fixture`. */
export async function busSuite(fixture: TransportFixture): Promise<void> {
  (await load(() => import('./bus-suite.js'))).busSuite(fixture);
}

/** Imports a suite; says what to install when the test runner is missing. */
async function load<T>(suite: () => Promise<T>): Promise<T> {
  try {
    return await suite();
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && /'uvu'/.test(String((err as Error).message))) {
      throw new Error('the conformance suites run under the uvu test runner: npm install --save-dev uvu', { cause: err });
    }
    throw err;
  }
}
