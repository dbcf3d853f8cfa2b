/**
 * bench/ring-bound keeps working: one size measured both ways (figures not checked: speed is
 * never asserted), and a bad size refused with a one-line usage.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { script, spawnNode } from '../helpers/processes.js';

const BOUND = script(import.meta.url, '../../bench/ring-bound.js');

test('ring-bound: 4 KiB frames read owned and reused over a real ring', async () => {
  const run = spawnNode(BOUND, ['4096']);
  const exit = await run.waitExit(120_000);
  assert.is(exit.code, 0, run.stderr);
  assert.ok(run.lines.some((l) => /^\s+4096 B\s+owned\s+[\d.]+ cpu µs\/frame/.test(l)), run.lines.join('\n'));
  assert.ok(run.lines.some((l) => /^\s+4096 B\s+reused\s+[\d.]+ cpu µs\/frame/.test(l)), run.lines.join('\n'));
});

test('ring-bound: a size that is not a byte count is refused', async () => {
  const run = spawnNode(BOUND, ['4k']);
  const exit = await run.waitExit(30_000);
  assert.is(exit.code, 2);
  assert.match(run.stderr, /^usage: node dist\/bench\/ring-bound\.js/);
});

test.run();
