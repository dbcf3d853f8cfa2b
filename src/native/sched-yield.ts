/**
 * `sched_yield()`: a polling reader gives its core to any other runnable thread, and gets it
 * straight back when there is none.
 *
 * Why: a shm reader in its `spin` window polls its ring on setImmediate turns, and libuv's poll
 * phase then never sleeps. Where there are fewer cores than spinning processes (three processes of
 * a relayed ping-pong on two vCPUs), a spinner that keeps its core until the scheduler's time
 * slice ends (milliseconds) holds back the one process that has work. Yielding after every empty
 * poll hands that process the core at once; on an idle core it costs one system call.
 * @module
 */
import { native } from './loader.js';

let bound: (() => number) | undefined;
/** A yield happened in this event-loop turn (cleared by a setImmediate queued with it). */
let yieldedThisTurn = false;
const newTurn = (): void => {
  yieldedThisTurn = false;
};

/** Yields the calling thread's core (never throws; sched_yield cannot fail on Linux). */
export function schedYield(): void {
  bound ??= native().libc.func('int sched_yield(void)') as () => number;
  bound();
}

/**
 * {@link schedYield}, at most once per event-loop turn: a hub whose many connections all poll
 * in their spin window yields once per round of polls, not once per connection.
 */
export function yieldCoreOncePerTurn(): void {
  if (yieldedThisTurn) return;
  yieldedThisTurn = true;
  setImmediate(newTurn); // queued before the caller's next poll, so it runs first
  schedYield();
}
