/**
 * The readers of this process that are in their `?spin` window, polled together in short
 * synchronous slices.
 *
 * Why: each reader used to poll its ring once per event-loop turn (setImmediate), yielding its
 * core after each empty poll. A record then waited for the rest of the reader's turn, and a
 * sender that had just committed spent a whole loop turn (timers, an epoll_wait, the check
 * phase: 3-7 µs on the shared 2-vCPU VM) before it polled again or gave up its core; where both
 * processes of a ping-pong share one core, which is what a loaded machine does, each hop waited
 * for that. Traced under load (64 B ping-pong, two processes): from the sender's commit to its
 * next poll 3.4 µs at best before, 0.4 after; round trip p1 38 → 25 µs, p10 39 → 29 µs.
 *
 * How: one loop loads each spinning ring's next record length (one atomic load per reader) and
 * drains a reader at once when a record is there. After an empty pass it yields its core
 * (`sched_yield`): on a shared core the peer that is to answer runs now; on an idle one the call
 * returns at once. After a delivery the slice ends, the promise callbacks of what was delivered
 * run (the user's `await` that publishes the answer), and the next slice runs right after them
 * (a tick queued from a microtask runs once the microtask queue is empty), not a loop turn later.
 *
 * Bounds, so that nothing blocks the event loop: a slice lasts at most {@link SLICE_MS}; slices
 * run back to back without the event loop for at most {@link LOOP_EVERY_MS}, then the loop gets
 * its turn (timers, sockets, doorbells) before the next one. A reader past its spin window parks
 * (its own rule, in its poll): an idle process stops spinning.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { schedYield } from '../../native/sched-yield.js';

/** A reader in its spin window. */
export interface SpinningReader {
  /** True when a record (or the end of the stream) waits at the head: one atomic load, nothing read. */
  hasWork(): boolean;
  /** Reads what is there; calls {@link spinOn} again to keep spinning, or parks. */
  poll(): void;
}

/** Longest synchronous slice of polling (ms) before the event loop gets a turn. */
const SLICE_MS = 0.05;

/**
 * Longest time (ms) slices may follow one another without the event loop (see `afterCallbacks`): past
 * it, the next slice waits for the loop's turn, so timers and sockets are not held back by a
 * steady stream of messages.
 */
const LOOP_EVERY_MS = 0.5;

const spinning = new Set<SpinningReader>();
/** A slice is scheduled (on the loop, or after the promise callbacks of a delivery). */
let queued = false;
/** When a slice last ran from the event loop (setImmediate). */
let loopTurnAt = 0;
/** A slice is running: it schedules the next one itself when it ends. */
let inSlice = false;
/**
 * Readers that spin on from a poll of the running slice: they join when it ends (a Set visits an
 * entry added during its iteration, so one that always has work would be polled forever).
 */
const rejoining: SpinningReader[] = [];

/** `reader` is polled from the next slice on, until a poll of it runs (it then calls this again to go on). */
export function spinOn(reader: SpinningReader): void {
  if (inSlice) {
    rejoining.push(reader);
    return;
  }
  spinning.add(reader);
  if (!queued) {
    queued = true;
    setImmediate(loopSlice);
  }
}

/** `reader` is no longer polled (it closed, or stopped reading). */
export function spinOff(reader: SpinningReader): void {
  spinning.delete(reader);
  const at = rejoining.indexOf(reader);
  if (at >= 0) rejoining.splice(at, 1);
}

const loopSlice = (): void => {
  loopTurnAt = performance.now();
  slice();
};
const tickSlice = (): void => {
  slice();
};
/**
 * After a delivery, the next slice runs once every promise callback it caused has run (a
 * microtask that queues a tick: ticks run once the microtask queue is empty), not a whole
 * event-loop turn later: the user's `await` that publishes the next message comes first, and
 * this process is polling (or has yielded its core to the peer) right after, not 2-5 µs later.
 */
const afterCallbacks = (): void => {
  process.nextTick(tickSlice);
};

/** One slice: poll every spinning reader until one has work or the slice is over. */
function slice(): void {
  queued = false;
  inSlice = true;
  const start = performance.now();
  let worked = false;
  try {
    while (spinning.size > 0) {
      for (const reader of spinning) {
        if (!reader.hasWork()) continue;
        // Taken out before its poll: it comes back only if it spins on (not once it parks or ends).
        spinning.delete(reader);
        worked = true;
        reader.poll();
      }
      if (worked || performance.now() - start >= SLICE_MS) break;
      // Nothing yet: the core goes to whoever else can run (on a shared core, the peer that is
      // to answer), and comes straight back when nobody can.
      schedYield();
    }
    if (worked) return;
    // A slice without work: each reader looks at its own window (past it, it parks).
    for (const reader of [...spinning]) {
      spinning.delete(reader);
      reader.poll();
    }
  } finally {
    inSlice = false;
    for (const reader of rejoining) spinning.add(reader);
    rejoining.length = 0;
    if (spinning.size > 0 && !queued) {
      queued = true;
      if (worked && performance.now() - loopTurnAt < LOOP_EVERY_MS) queueMicrotask(afterCallbacks);
      else setImmediate(loopSlice);
    }
  }
}
