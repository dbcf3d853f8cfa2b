/** The one backoff (src/sync/backoff.ts): doubling, capped, jitter within its bounds, abortable sleep. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Backoff, backoffDelay, sleep } from '../../src/sync/backoff.js';
import { AbortedError } from '../../src/errors.js';
import { rejectsWith } from '../helpers/watchdog.js';

test('delays double from initial and stop at max; reset starts again', () => {
  const b = new Backoff({ initial: 5, max: 40 });
  assert.equal([b.next(), b.next(), b.next(), b.next(), b.next()], [5, 10, 20, 40, 40]);
  assert.is(b.attempts, 5);
  b.reset();
  assert.is(b.next(), 5);
  assert.is(backoffDelay(1000, { initial: 1, max: 200 }), 200, 'a huge attempt number stays finite and capped');
});

test('jitter takes at most its fraction off, never adds: max stays a cap', () => {
  for (let n = 0; n < 2000; n++) {
    const d = backoffDelay(n % 8, { initial: 10, max: 100, jitter: 0.4 });
    const base = Math.min(100, 10 * 2 ** (n % 8));
    assert.ok(d <= base && d >= base * 0.6, `delay ${d} for base ${base}`);
  }
});

test('bad options are refused with a RangeError naming them', () => {
  assert.throws(() => new Backoff({ initial: 10, max: 5 }), /initial=10 max=5/);
  assert.throws(() => new Backoff({ initial: 1, max: 5, jitter: 2 }), /jitter=2/);
});

test('sleep resolves after its delay and rejects with AbortedError when aborted', async () => {
  await sleep(1);
  const ac = new AbortController();
  const waiting = sleep(60_000, ac.signal, 'retry');
  ac.abort(new Error('stop'));
  const err = await rejectsWith(() => waiting, AbortedError);
  assert.match(err.message, /retry/);
  await rejectsWith(() => sleep(1, ac.signal), AbortedError);
  // The aborted 60 s timer was cleared: this file's process exits right after the test.
});

test.run();
