// The conformance kit's watchdogs stretch with load (or UNIBUS_TEST_WATCHDOG_SCALE): a watchdog
// turns a hang into a message and must not fail a test that is only slow on a busy machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { within, until, watchdogScale } from '../../src/transport-kit/conformance/index.js';

const later = <T>(ms: number, value: T): Promise<T> => new Promise((r) => setTimeout(() => r(value), ms));

function withScale<T>(scale: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env.UNIBUS_TEST_WATCHDOG_SCALE;
  if (scale === undefined) delete process.env.UNIBUS_TEST_WATCHDOG_SCALE;
  else process.env.UNIBUS_TEST_WATCHDOG_SCALE = scale;
  return fn().finally(() => {
    if (before === undefined) delete process.env.UNIBUS_TEST_WATCHDOG_SCALE;
    else process.env.UNIBUS_TEST_WATCHDOG_SCALE = before;
  });
}

test('within: a wait longer than ms but shorter than ms x scale passes (timers fire in order of expiry)', async () => {
  // the value's timer (100 ms) always fires before the watchdog's (50 ms x 3 = 150 ms)
  assert.is(await withScale('3', () => within(50, 'slow value', later(100, 'ok'))), 'ok');
});

test('within and until: the message names the stretched time', async () => {
  const err = await withScale('2', () => within(10, 'never', new Promise(() => undefined)).then(() => null, (e: Error) => e));
  assert.match(err?.message ?? '', 'never did not finish within 20ms');
  const err2 = await withScale('2', () => until('never', () => false, 10, 5).then(() => null, (e: Error) => e));
  assert.match(err2?.message ?? '', 'never not reached within 20ms');
});

test('until: a condition that turns true after ms but before ms x scale is reached', async () => {
  let ready = false;
  setTimeout(() => { ready = true; }, 60);
  assert.is(await withScale('10', () => until('ready', () => ready, 20, 5)), true);
});

test('watchdogScale: from the load per core, between 1 and 8, unless set; bad settings are ignored', async () => {
  await withScale(undefined, async () => {
    const s = watchdogScale();
    assert.ok(s >= 1 && s <= 8, `scale ${s}`);
  });
  await withScale('0', async () => assert.ok(watchdogScale() >= 1));
  await withScale('abc', async () => assert.ok(watchdogScale() >= 1));
  await withScale('2.5', async () => assert.is(watchdogScale(), 2.5));
});

test.run();
