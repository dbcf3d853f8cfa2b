/**
 * The control plane of the relay and fan-out cases: topics and messages between the hub process
 * (the driver) and its publisher and subscriber clients. Control goes over the bus under test
 * itself (tiny messages, a handful per batch), so a `pipe:` child needs nothing else.
 * @module
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

/** Payloads: publisher → hub (or NATS server) → every subscriber. */
export const DATA = 'bench.data';
/** Driver → publisher. */
export const TO_PUB = 'bench.ctl.pub';
/** Driver → every subscriber. */
export const TO_SUBS = 'bench.ctl.sub';
/** Every client → driver. */
export const TO_DRIVER = 'bench.ctl.driver';

/** Messages to the clients. */
export type Order =
  | { readonly op: 'send'; readonly n: number } // publisher: publish n payloads
  | { readonly op: 'count'; readonly n: number } // subscribers: count the next n, answer `armed`
  | { readonly op: 'cpu' }
  | { readonly op: 'bye' };

/** Messages from the clients; `who` is `pub` or `sub<i>`. */
export type Report =
  | { readonly op: 'ready'; readonly who: string }
  | { readonly op: 'armed'; readonly who: string }
  | { readonly op: 'counted'; readonly who: string; readonly errors: number }
  | { readonly op: 'cpu'; readonly who: string; readonly micros: number; readonly counts?: ProcessCounts };

/** What BENCH_DEBUG=1 prints per process and message: where a process's CPU goes besides JavaScript. */
export interface ProcessCounts {
  /** Minor page faults (a first touch of a fresh page: 2-15 µs of CPU, depending on the VM). */
  readonly faults: number;
  /** read- and write-type system calls (/proc/self/io `syscr`, `syscw`: read, recvmsg, write, writev...). */
  readonly reads: number;
  readonly writes: number;
  /** Times the process slept waiting (voluntary context switches): each is a wake-up paid by someone. */
  readonly sleeps: number;
  /** Times the process was taken off its core while it could run (involuntary context switches). */
  readonly preempted: number;
  /** Milliseconds in the garbage collector (pauses seen by `perf_hooks`; 0 until `watchGc()`). */
  readonly gcMs: number;
}

let gcMs = 0;
let gcWatch: PerformanceObserver | undefined;

/** Starts summing this process's GC pauses into `processCounts().gcMs` (BENCH_DEBUG only: observing costs a little). */
export function watchGc(): void {
  gcWatch ??= new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
  gcWatch.observe({ entryTypes: ['gc'] });
}

/** Stops `watchGc()` (an observer keeps nothing alive, but stop it anyway when done). */
export function unwatchGc(): void {
  gcWatch?.disconnect();
  gcWatch = undefined;
}

/** This process's counters (ProcessCounts); the system call counts are 0 where /proc is not readable. */
export function processCounts(): ProcessCounts {
  const r = process.resourceUsage();
  let reads = 0;
  let writes = 0;
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    reads = Number(/syscr: (\d+)/.exec(io)?.[1] ?? 0);
    writes = Number(/syscw: (\d+)/.exec(io)?.[1] ?? 0);
  } catch { /* not Linux, or not readable */ }
  return { faults: r.minorPageFault, reads, writes, sleeps: r.voluntaryContextSwitches, preempted: r.involuntaryContextSwitches, gcMs };
}

/** Collects reports and hands out `count` of one kind at a time. */
export class Mailbox {
  #held: Report[] = [];
  #waiter: { op: Report['op']; count: number; got: Report[]; resolve: (r: Report[]) => void } | undefined;

  put(report: Report): void {
    const w = this.#waiter;
    if (w && report.op === w.op) {
      w.got.push(report);
      if (w.got.length === w.count) {
        this.#waiter = undefined;
        w.resolve(w.got);
      }
    } else {
      this.#held.push(report);
    }
  }

  /** The next `count` reports of kind `op` (held ones first). */
  take(op: Report['op'], count: number): Promise<Report[]> {
    const got = this.#held.filter((r) => r.op === op).slice(0, count);
    this.#held = this.#held.filter((r) => !got.includes(r));
    if (got.length === count) return Promise.resolve(got);
    return new Promise((resolve) => { this.#waiter = { op, count, got, resolve }; });
  }
}

/**
 * CPU time (µs) of the NATS server the bench started (its pid in UNIBUS_BENCH_NATS_PID), from
 * /proc: the broker's work is part of every NATS message's cost, as the hub's is for unibus.
 * 0 when the server is not ours (a URL given by the user) or not readable.
 */
export function brokerCpuMicros(url: string): number {
  const pid = process.env.UNIBUS_BENCH_NATS_PID;
  if (!url.startsWith('nats:') || !pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state (field 3).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}
