/**
 * bench/protocol.ts `measureOneWay`: the warm-up reaches its messages and the measured batch is
 * sized by the warm rate, also when batches pay a fixed latency or the processes start slowly.
 * The batches here are a model (each returns the seconds its n messages would take), so the
 * figures are exact and nothing depends on this machine's speed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { within } from '../../src/transport-kit/conformance/watchdog.js';
import { measureOneWay } from '../../bench/protocol.js';
import type { CaseSpec } from '../../bench/link.js';

const SPEC: CaseSpec = {
  name: 'model', kind: 'relay', id: 'm', size: 64, warmupMs: 200, oneWayMs: 500, pingWarmupMs: 0, pingMs: 0,
};

/** Runs the calibration over a model of `seconds(n, sentBefore)`; returns the warm-up sizes and the measured n. */
async function calibrate(seconds: (n: number, sent: number) => number): Promise<{ warm: number[]; measured: number }> {
  const sizes: number[] = [];
  let sent = 0;
  const batch = (n: number): Promise<number> => {
    sizes.push(n);
    const s = seconds(n, sent);
    sent += n;
    return Promise.resolve(s);
  };
  await within(10_000, 'the calibration', measureOneWay(SPEC, batch, { reset: () => undefined, errors: () => 0, otherCpu: () => Promise.resolve(0) }));
  return { warm: sizes.slice(0, -1), measured: sizes[sizes.length - 1]! };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

test('a batch that pays 40 ms of fixed latency (a relay on a loaded host) grows instead of shrinking', async () => {
  // 1M msgs/s once under way; every batch first waits 40 ms for its orders and reports.
  const { warm, measured } = await calibrate((n) => 0.04 + n / 1e6);
  assert.ok(sum(warm) >= 30_000, `warm-up sent ${sum(warm)} messages: ${warm.join(' ')}`);
  // The old rule shrank every batch below 64 messages and measured ~800 messages.
  assert.ok(measured >= 250_000, `measured batch of ${measured} messages (warm-up ${warm.join(' ')})`);
  assert.ok(Math.max(...warm) <= 4 * 65_536, `a warm-up batch of ${Math.max(...warm)} messages`);
});

test('processes that start slowly are warmed until they run at their pace', async () => {
  // 5k msgs/s for the first 20,000 messages (cold code), then 500k msgs/s.
  const { warm, measured } = await calibrate((n, sent) => (sent < 20_000 ? n / 5000 : n / 500_000));
  assert.ok(sum(warm) >= 30_000, `warm-up sent ${sum(warm)} messages: ${warm.join(' ')}`);
  // Sized by the warm rate (the old rule stopped at 0.8 s with ~4,000 messages and measured 2,500).
  assert.ok(measured >= 100_000, `measured batch of ${measured} messages (warm-up ${warm.join(' ')})`);
});

test('a steady fast link warms as before: 30 ms batches, then a measured batch of its rate', async () => {
  const { warm, measured } = await calibrate((n) => 0.001 + n / 1e6);
  assert.ok(sum(warm) >= 30_000, `warm-up sent ${sum(warm)} messages`);
  assert.ok(measured >= 400_000 && measured <= 500_000, `measured batch of ${measured} messages`);
  // Batches settle at about 30 ms (29k-30k messages), not larger.
  assert.ok(Math.max(...warm.slice(-2)) <= 65_536, `last warm-up batches ${warm.slice(-2).join(' ')}`);
});

test.run();
