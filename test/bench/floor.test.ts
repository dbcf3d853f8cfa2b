/**
 * bench/floor at 1 MiB frames finishes: its sizing runs were 200 000 frames whatever their size
 * (200 GB at 1 MiB), so it hit its watchdog and left its probe's socket behind. Figures are not
 * checked (speed is never asserted); the run must end by itself and leave nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { script, spawnNode } from '../helpers/processes.js';

const FLOOR = script(import.meta.url, '../../bench/floor.js');

test('floor: 1 MiB frames over unix:// are measured and nothing is left', async () => {
  const run = spawnNode(FLOOR, ['unix', String(1 << 20)]);
  const exit = await run.waitExit(240_000);
  assert.is(exit.code, 0, run.stderr);
  assert.ok(run.lines.some((l) => /^unix\s+\S+ frames\/s/.test(l)), run.lines.join('\n'));
  assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith(`unibus-bench-floor-${run.pid}-`)), []);
});

test.run();
