/**
 * Every fuzz target (test/fuzz/targets) with a few thousand seeded cases, each in a worker under
 * a hang watchdog, regression inputs first. `npm run fuzz` runs the same targets for >= 100k.
 * A failure prints the input (replayable: seed and path) and the stack.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatReport, runTarget } from './supervisor.js';
import { targetNames } from './targets/index.js';

const SEED = Number(process.env.UNIBUS_FUZZ_SEED ?? 20261205);
/** Cases per target; the log reader writes files per case, so it gets fewer. */
const CASES: Record<string, number> = { 'spool.log-reader': 400, 'codec.bin-round-trip': 1000 };

for (const name of targetNames) {
  test(`fuzz ${name}: typed rejections only, no crash, no hang`, async () => {
    const r = await runTarget(name, { cases: CASES[name] ?? 3000, seed: SEED, stallMs: 60_000 });
    if (process.env.TEST_VERBOSE === '1') console.log(formatReport(r));
    assert.ok(r.crashes === 0 && r.hangs === 0, `${formatReport(r)}\n${r.failure ?? ''}`);
    assert.ok(r.cases > 0);
  });
}

test.run();
