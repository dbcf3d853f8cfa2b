/**
 * `sched_yield()`: a polling reader gives its core to any other runnable thread, and gets it
 * straight back when there is none.
 *
 * Why: a shm reader in its `spin` window polls its ring (../transports/shm/spinner.ts) and never
 * sleeps. Where there are fewer cores than spinning processes (three processes of
 * a relayed ping-pong on two vCPUs), a spinner that keeps its core until the scheduler's time
 * slice ends (milliseconds) holds back the one process that has work. Yielding after every empty
 * poll hands that process the core at once; on an idle core it costs one system call.
 * @module
 */
import { native } from './loader.js';

let bound: (() => number) | undefined;

/** Yields the calling thread's core (never throws; sched_yield cannot fail on Linux). */
export function schedYield(): void {
  bound ??= native().libc.func('int sched_yield(void)') as () => number;
  bound();
}
