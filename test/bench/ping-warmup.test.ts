/**
 * bench/protocol.ts `pingWarmingUp`: a ping warm-up runs enough round trips for V8 to have
 * optimised the ping's path (PING_WARM_ROUNDS, fewer for large payloads), not only its time,
 * and never longer than its time cap. Pure: nothing depends on this machine's speed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pingWarmingUp } from '../../bench/protocol.js';

const SMALL = { size: 64, pingWarmupMs: 100 };

test('a ping warm-up goes on past its time until 5,000 round trips', () => {
  // The old rule stopped at 100 ms: ~1,000-2,500 round trips on a loaded host, before V8 had
  // optimised the path (it does over the first ~3,000-4,000).
  assert.ok(pingWarmingUp(1_000, 150, SMALL));
  assert.ok(pingWarmingUp(4_999, 150, SMALL));
  assert.not.ok(pingWarmingUp(5_000, 150, SMALL));
});

test('a ping warm-up lasts its time at least, and 3 round trips', () => {
  assert.ok(pingWarmingUp(50_000, 99, SMALL));
  assert.ok(pingWarmingUp(2, 10_000, SMALL));
  assert.not.ok(pingWarmingUp(5_000, 100, SMALL));
});

test('a ping warm-up stops at 25x its time whatever it reached', () => {
  assert.ok(pingWarmingUp(10, 2_499, SMALL));
  assert.not.ok(pingWarmingUp(10, 2_500, SMALL));
  // No warm-up time: 3 round trips, as before.
  assert.not.ok(pingWarmingUp(3, 0, { size: 64, pingWarmupMs: 0 }));
});

test('large payloads warm up on 64 MiB, not 5,000 round trips', () => {
  const big = { size: 1 << 20, pingWarmupMs: 100 };
  assert.ok(pingWarmingUp(63, 150, big));
  assert.not.ok(pingWarmingUp(64, 150, big));
});

test.run();
