/**
 * The Transport conformance suite: the guarantees of src/transports/transport.ts, checked
 * through a fixture (fixture.ts) and nothing else. Cases are chosen by capability, never by
 * scheme. Peers are child processes when `capabilities.crossProcess`, in-process roles otherwise.
 * Each scheme runs it from its own `transport-<scheme>.test.ts`, so each runs in its own process.
 * @module
 */
import { suite } from 'uvu';
import { within } from './watchdog.js';
import { dataCases } from './cases-data.js';
import { failureCases } from './cases-failure.js';
import { lifecycleCases } from './cases-lifecycle.js';
import type { CaseContext } from './checks.js';
import type { TransportFixture } from './fixture.js';
import { withSession } from './session.js';

/** Every case must finish within this (body 90 s + teardown), or it fails; the runner's
 * per-file watchdog is the last resort. */
const CASE_WATCHDOG_MS = 150_000;

/** Registers every case of the suite for `fixture` and runs it. */
export function transportSuite(fixture: TransportFixture): void {
  const caps = fixture.capabilities;
  const test = suite(`transport ${fixture.scheme}`);
  const names = new Set<string>();
  const ctx: CaseContext = {
    fixture,
    caps,
    it(name, body) {
      if (names.has(name)) throw new Error(`duplicate case name: ${name}`);
      names.add(name);
      test(name, () => within(CASE_WATCHDOG_MS, name, body()));
    },
    session: (label, body, options) => withSession(fixture, label, options, body),
    seesPeerDeath: caps.peerDeathEvents || !caps.crossProcess,
  };
  dataCases(ctx);
  failureCases(ctx);
  lifecycleCases(ctx);
  test.run();
}
