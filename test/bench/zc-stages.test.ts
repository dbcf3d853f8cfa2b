/**
 * bench/zero-copy/stages keeps working (it drives the zero-copy internals directly, so it would
 * otherwise rot unnoticed when they change): both shapes run a few batches through a real pool
 * and print three figures (never checked: speed is not asserted), the router hands every frame on
 * as it came (no batch split, no copies), and its pool is gone after.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { script, spawnNode } from '../helpers/processes.js';

const STAGES = script(import.meta.url, '../../bench/zero-copy/stages.js');

for (const shape of [[], ['--p2p'], ['--batches']]) {
  test(`zero-copy stages ${shape.join(' ') || '(relay)'}: publisher, hub and receiver figures; no pool left`, async () => {
    const run = spawnNode(STAGES, ['--count', '2048', '--rounds', '1', '--batch', '64', ...shape]);
    const exit = await run.waitExit(120_000);
    assert.is(exit.code, 0, run.stderr);
    for (const stage of ['publisher', 'hub', 'receiver']) {
      assert.ok(run.lines.some((l) => l.startsWith(`${stage} (`) && /: \d+ ns \[\d+-\d+\]$/.test(l)), run.lines.join('\n'));
    }
    // Every frame went on as the publisher sent it (a batch split per sample, or copies, would
    // measure another path: --batches did so while the fake peer had no maxFrameSize).
    assert.ok(run.lines.includes('frames the router rewrote: 0'), run.lines.join('\n'));
    assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(`zcbench${run.pid}~`)), [], 'its pool was removed');
  });
}

test.run();
