/**
 * The spinner's scheduling rules (src/transports/shm/spinner.ts), with readers that stand for
 * rings: one that always has a record waiting is a peer that never stops sending (on a real ring
 * whether the stream ever pauses for a slice is the machine's timing, so it could not fail on
 * purpose). Nothing here measures speed; each wait has a watchdog.
 * - A reader that always has work never holds the event loop: timers still run while it is polled.
 * - After a delivery, the promise callbacks it caused all run before the next poll.
 * - A reader without work is asked to look at its window once per slice, and is polled no more
 *   once it stops spinning (an idle process stops spinning).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import { spinOff, spinOn, type SpinningReader } from '../../../src/transports/shm/spinner.js';
import { within } from '../../helpers/watchdog.js';

test('a reader that always has work does not hold the event loop: a timer fires while it is polled', async () => {
  let polls = 0;
  let timerFired = false;
  let pollsAtTimer = 0;
  const giveUpAt = performance.now() + 3000;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => { stopped = resolve; });
  const reader: SpinningReader = {
    hasWork: () => true,
    poll: () => {
      polls++;
      // Spins on until the timer fired and it was polled after that, or (the defect) 3 s passed.
      if ((timerFired && polls > pollsAtTimer) || performance.now() > giveUpAt) stopped();
      else spinOn(reader);
    },
  };
  const timer = sleep(5).then(() => {
    timerFired = true;
    pollsAtTimer = polls;
  });
  spinOn(reader);
  await within(10_000, 'the reader stops', done);
  await within(10_000, 'the timer', timer);
  assert.ok(pollsAtTimer > 0, 'the reader was polled before the timer fired');
  assert.ok(polls > pollsAtTimer, `the timer fired only once the reader stopped spinning (polls=${polls})`);
});

test('after a delivery, every promise callback it caused runs before the next poll', async () => {
  let chainDone = 0;
  let delivered = 0;
  const seen: number[] = [];
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => { stopped = resolve; });
  const reader: SpinningReader = {
    hasWork: () => true,
    poll: () => {
      seen.push(chainDone);
      if (delivered === 20) {
        stopped();
        return;
      }
      delivered++;
      // A user's handler whose answer is several awaits deep.
      void (async () => {
        for (let i = 0; i < 5; i++) await Promise.resolve();
        chainDone++;
      })();
      spinOn(reader);
    },
  };
  spinOn(reader);
  await within(10_000, '20 deliveries', done);
  // Poll k (from 0) sees the chains of the k deliveries before it all finished.
  assert.equal(seen, Array.from({ length: 21 }, (_, k) => k));
});

test('a reader without work is asked to look at its window, and is polled no more once it stops spinning', async () => {
  let polls = 0;
  let keepSpinning = true;
  const reader: SpinningReader = {
    hasWork: () => false,
    poll: () => {
      polls++;
      if (keepSpinning) spinOn(reader);
    },
  };
  spinOn(reader);
  await within(10_000, 'a poll at the end of an empty slice', (async () => { while (polls < 3) await turn(); })());
  keepSpinning = false;
  const before = polls;
  await within(10_000, 'the last poll', (async () => { while (polls === before) await turn(); })());
  const last = polls;
  for (let i = 0; i < 20; i++) await turn();
  assert.is(polls, last, 'polled after it stopped spinning');
  // spinOff: a reader taken out between slices is never polled.
  keepSpinning = true;
  spinOn(reader);
  spinOff(reader);
  for (let i = 0; i < 20; i++) await turn();
  assert.is(polls, last, 'polled after spinOff');
});

test.run();
