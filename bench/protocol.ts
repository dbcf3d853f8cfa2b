/**
 * The measurement protocol, written once over `Link`, identical for every case.
 *
 * The parent drives (`Driver`), the other side answers (`respond`):
 * - one-way, `c2h` (the default): the parent asks `{ op: 'send', n }`; the other side sends n
 *   payloads as fast as the link accepts them (waiting on `drained()` only when `send()` says so);
 *   the parent times from its request to the n-th arrival. `h2c`: the parent says
 *   `{ op: 'count', n }`, sends n payloads the same way, and times until the other side answers
 *   `{ op: 'counted', errors }` after the n-th arrival. Warm-up batches grow until `warmupMs` is spent; their rate
 *   sizes the measured batch to last about `oneWayMs`. CPU time of both sides is read around the
 *   measured batch (`{ op: 'cpu' }` asks the other side for its `process.cpuUsage()`).
 * - ping-pong: the parent sends one payload, the other side echoes it, the parent times the
 *   round trip; `pingWarmupMs` (and at least PING_WARM_ROUNDS, time permitting) of unmeasured
 *   rounds, then rounds for `pingMs` (20 at least).
 *   Links with request/reply (the Bus) are also timed through it, the same way.
 * @module
 */
import { isControl, makePayload, payloadSize, type CaseSpec, type Link, type PayloadKind } from './link.js';
import { processCounts } from './relay/control.js';

export interface OneWayResult {
  readonly messages: number;
  readonly seconds: number;
  /** CPU time (user + system) of both processes during the measured batch, in µs. */
  readonly cpuMicros: number;
  /** Received values that were not a payload of the expected size. */
  readonly errors: number;
}

export interface PingResult {
  readonly samples: number;
  /** Round-trip times in µs. */
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

/** BENCH_DEBUG=1 prints the warm-up batches. */
const DEBUG = Boolean(process.env['BENCH_DEBUG']);

/** Warm-up sends at least this many messages… */
const WARM_MESSAGES = 30_000;
/** …or this many payload bytes, whichever is fewer. */
const WARM_BYTES = 64 * 1024 * 1024;
/**
 * Warm-up may last this many times `warmupMs` (5 s by default, 2 s with `--quick`) to reach
 * WARM_MESSAGES. Processes started on a loaded host run slowly at first (code not yet optimised,
 * each one's first mark-compact near 10 MB of old space): 3-10k msgs/s in the first second of a
 * fan-out that then runs at 100-400k. A warm-up cut at 4 × `warmupMs` (0.8 s) ended there with
 * under 10,000 messages, and the measured batch paid 2-90 µs of CPU per delivery instead of 1-2
 * (fan-out 1 → 4 over shm at 64 B: a third of the runs at load 8-12, the "bimodal" fan-out).
 */
const WARM_MAX_FACTOR = 25;
/** Length warm-up batches grow to, in seconds. */
const BATCH_SECONDS = 0.03;
/**
 * A latency-bound warm-up batch grows on only while shorter than this: a rate that climbs because
 * the JIT warms up must not grow batches to seconds.
 */
const LATENCY_BATCH_SECONDS = 0.25;
/**
 * A warm-up batch this much faster than the one before: a 4x larger one was latency-bound (grow
 * on), and the processes are still speeding up (warm on) (measureOneWay).
 */
const LATENCY_GAIN = 1.3;

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** The parent's half of the protocol. */
export class Driver {
  readonly #link: Link;
  readonly #size: number;
  #remaining = 0;
  #errors = 0;
  #whenCounted: (() => void) | undefined;
  #whenNext: ((value: unknown) => void) | undefined;
  readonly #early: unknown[] = [];

  constructor(link: Link, size: number) {
    this.#link = link;
    this.#size = size;
    link.onMessage((value) => this.#onMessage(value));
  }

  #onMessage(value: unknown): void {
    if (this.#remaining > 0) {
      if (payloadSize(value) !== this.#size) this.#errors++;
      if (--this.#remaining === 0) {
        const done = this.#whenCounted!;
        this.#whenCounted = undefined;
        done();
      }
      return;
    }
    const next = this.#whenNext;
    if (next) {
      this.#whenNext = undefined;
      next(value);
    } else {
      this.#early.push(value);
    }
  }

  /** The next single message (a control answer or a pong). */
  next(): Promise<unknown> {
    if (this.#early.length > 0) return Promise.resolve(this.#early.shift());
    return new Promise((resolve) => { this.#whenNext = resolve; });
  }

  /** Waits for the other side's `ready`. */
  async ready(): Promise<void> {
    const first = await this.next();
    if (!isControl(first) || first.op !== 'ready') throw new Error(`Expected ready, got ${describe(first)}`);
  }

  /** Asks for n payloads; resolves with the seconds from request to the n-th arrival. */
  async #batch(n: number): Promise<number> {
    const counted = new Promise<void>((resolve) => { this.#whenCounted = resolve; });
    this.#remaining = n;
    const t0 = now();
    this.#link.send({ op: 'send', n });
    await counted;
    return now() - t0;
  }

  /** Sends n payloads itself; resolves with the seconds until the other side counted them. */
  async #batchDown(n: number, payload: unknown): Promise<number> {
    const answer = this.next();
    const t0 = now();
    this.#link.send({ op: 'count', n });
    for (let i = 0; i < n; i++) {
      if (!this.#link.send(payload)) await this.#link.drained();
    }
    const counted = await answer;
    if (!isControl(counted) || counted.op !== 'counted') throw new Error(`Expected counted, got ${describe(counted)}`);
    this.#errors += counted.errors;
    return now() - t0;
  }

  async #otherCpu(): Promise<number> {
    const answer = this.next();
    this.#link.send({ op: 'cpu' });
    const cpu = await answer;
    if (!isControl(cpu) || cpu.op !== 'cpu') throw new Error(`Expected cpu, got ${describe(cpu)}`);
    return (cpu.user ?? 0) + (cpu.system ?? 0);
  }

  /** The one-way phase in `spec.direction` (see `measureOneWay`). */
  async oneWay(spec: CaseSpec, sameProcess: boolean, kind: PayloadKind): Promise<OneWayResult> {
    const payload = spec.direction === 'h2c' ? makePayload(kind, spec.size, spec.shape) : undefined;
    const batch = (n: number): Promise<number> => (payload === undefined ? this.#batch(n) : this.#batchDown(n, payload));
    return measureOneWay(spec, batch, {
      reset: () => { this.#errors = 0; },
      errors: () => this.#errors,
      otherCpu: () => (sameProcess ? Promise.resolve(0) : this.#otherCpu()),
    });
  }

  /** Warm-up rounds, then measured round trips (send + echo). */
  ping(spec: CaseSpec, kind: PayloadKind): Promise<PingResult> {
    return timedRounds(spec, makePayload(kind, spec.size, spec.shape), async (payload) => {
      const answer = this.next();
      this.#link.send(payload);
      return answer;
    });
  }

  /** The same with the link's request/reply (Bus `request` → the other side's `serve`). */
  request(spec: CaseSpec, kind: PayloadKind): Promise<PingResult> | undefined {
    const link = this.#link;
    if (!link.request) return undefined;
    return timedRounds(spec, makePayload(kind, spec.size, spec.shape), (payload) => link.request!(payload));
  }

  /** Tells the other side to finish. */
  bye(): void {
    this.#link.send({ op: 'bye' });
  }
}

/** What `measureOneWay` needs from a driver besides its batches. */
export interface OneWayHooks {
  /** Clears the error count before the measured batch. */
  reset(): void;
  /** Payloads received with a wrong size since `reset()`. */
  errors(): number;
  /** CPU time (µs, user + system) of every process of the case but this one, so far. */
  otherCpu(): Promise<number>;
}

/**
 * Warm-up and calibration, then one measured batch. Warm-up lasts `warmupMs`, and goes on (up to
 * WARM_MAX_FACTOR × `warmupMs`) until WARM_MESSAGES have gone (or
 * WARM_BYTES of payload, whichever is fewer) and the last batch ran less than LATENCY_GAIN faster
 * than the one before: a bus's longer code path needs thousands of messages before the JIT has
 * optimised it, and a rate still climbing says it has not. Batches grow 4x until one takes
 * BATCH_SECONDS, then stay that long; the best of the last two batches' rates sizes the measured
 * batch (one stalled batch must not shrink it).
 *
 * A batch also pays a fixed latency (orders and reports between processes: six wake-ups for a
 * relay), which on a loaded host can alone exceed BATCH_SECONDS. Sized by its rate, such a batch
 * shrank the next one, whose rate was lower still (warm-ups of 30-1500 messages per batch). So
 * batches keep growing while a 4x larger one still runs LATENCY_GAIN faster (its time was mostly
 * latency) and took under LATENCY_BATCH_SECONDS, and never shrink below the last size that did.
 *
 * `batch(n)` moves n messages and resolves with the seconds it took; `deliveries` is how many
 * receipts one message makes (fan-out: one per subscriber).
 */
export async function measureOneWay(spec: CaseSpec, batch: (n: number) => Promise<number>, hooks: OneWayHooks, deliveries = 1): Promise<OneWayResult> {
  let k = spec.size >= 1 << 20 ? 1 : spec.size >= 1 << 16 ? 4 : 64;
  const minMessages = Math.min(WARM_MESSAGES, Math.ceil(WARM_BYTES / spec.size));
  const minSeconds = spec.warmupMs / 1000;
  let spent = 0;
  let sent = 0;
  let rate = 0;
  let previous = 0;
  /** The last batch was 4x the one before (the first counts as such: it has nothing to compare with). */
  let grew = true;
  let floor = 1;
  const maxSeconds = WARM_MAX_FACTOR * minSeconds;
  // Still warming: too few messages yet, or the last batch ran much faster than the one before.
  const warming = (): boolean => sent < minMessages || previous === 0 || rate > previous * LATENCY_GAIN;
  while (spent < minSeconds || (warming() && spent < maxSeconds)) {
    const seconds = await batch(k);
    spent += seconds;
    sent += k;
    previous = rate;
    rate = k / Math.max(seconds, 1e-6);
    if (DEBUG) process.stderr.write(`warm-up batch ${k}: ${Math.round(rate)}/s\n`);
    grew = seconds < BATCH_SECONDS || (grew && seconds < LATENCY_BATCH_SECONDS && rate > previous * LATENCY_GAIN);
    if (grew) {
      floor = k;
      k *= 4;
    } else {
      k = Math.max(floor, Math.round(rate * BATCH_SECONDS));
    }
  }
  const n = Math.max(3, Math.min(20_000_000, Math.round(Math.max(rate, previous) * spec.oneWayMs / 1000)));
  hooks.reset();
  const otherBefore = await hooks.otherCpu();
  const counts0 = DEBUG ? processCounts() : undefined;
  const cpu0 = process.cpuUsage();
  const seconds = await batch(n);
  const cpu = process.cpuUsage(cpu0);
  const otherAfter = await hooks.otherCpu();
  if (counts0 !== undefined) {
    // Which side the CPU went to (per message of the measured batch): this process, with its page
    // faults and system calls, and every other process of the case together.
    const c = processCounts();
    const per = (x: number): string => (x / n).toFixed(3);
    process.stderr.write(`measured ${n} msgs: this ${per(cpu.user + cpu.system)} µs (user ${per(cpu.user)}, sys ${per(cpu.system)}, `
      + `${per(c.faults - counts0.faults)} pf, ${per(c.reads - counts0.reads)} rd, ${per(c.writes - counts0.writes)} wr, `
      + `${per(c.sleeps - counts0.sleeps)} sl), others ${per(otherAfter - otherBefore)} µs /msg\n`);
  }
  return {
    messages: n * deliveries,
    seconds,
    cpuMicros: cpu.user + cpu.system + otherAfter - otherBefore,
    errors: hooks.errors(),
  };
}

/**
 * Round trips a ping warm-up runs at least (fewer for large payloads: PING_WARM_BYTES), time
 * permitting (WARM_MAX_FACTOR × `pingWarmupMs`). A ping's path is not the one-way phase's: the
 * parent's send and the other side's receive and echo run for the first time in the ping, and V8
 * optimises them over its first ~3,000-4,000 round trips (--trace-opt, 64 B over `unix://` and
 * the raw socket alike). The 100 ms warm-up alone was ~1,000-2,500 round trips on a loaded host,
 * so the measured rounds began on unoptimised code, and a p99 over a few thousand samples was the
 * JIT's (worse for a longer path), not the steady state's.
 */
const PING_WARM_ROUNDS = 5_000;
/** …or this many payload bytes each way, whichever is fewer. */
const PING_WARM_BYTES = 64 * 1024 * 1024;

/**
 * Whether a ping warm-up that has run `rounds` round trips in `elapsedMs` goes on: 3 rounds and
 * `pingWarmupMs` at least, then until PING_WARM_ROUNDS (fewer for large payloads:
 * PING_WARM_BYTES) or WARM_MAX_FACTOR × `pingWarmupMs`, whichever comes first.
 */
export function pingWarmingUp(rounds: number, elapsedMs: number, spec: Pick<CaseSpec, 'size' | 'pingWarmupMs'>): boolean {
  if (rounds < 3 || elapsedMs < spec.pingWarmupMs) return true;
  const goal = Math.min(PING_WARM_ROUNDS, Math.ceil(PING_WARM_BYTES / Math.max(1, spec.size)));
  return rounds < goal && elapsedMs < WARM_MAX_FACTOR * spec.pingWarmupMs;
}

/**
 * Unmeasured rounds for `pingWarmupMs` and at least PING_WARM_ROUNDS (or PING_WARM_BYTES), for
 * at most WARM_MAX_FACTOR × `pingWarmupMs`; then timed rounds for `pingMs` (20 at least).
 */
async function timedRounds(spec: CaseSpec, payload: unknown, exchange: (payload: unknown) => Promise<unknown>): Promise<PingResult> {
  let errors = 0;
  const round = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const answer = await exchange(payload);
    const micros = Number(process.hrtime.bigint() - t0) / 1000;
    if (payloadSize(answer) !== spec.size) errors++;
    return micros;
  };
  const start = now();
  for (let i = 0; pingWarmingUp(i, (now() - start) * 1000, spec); i++) await round();
  errors = 0;
  const samples: number[] = [];
  const end = now() + spec.pingMs / 1000;
  while ((samples.length < 20 || now() < end) && samples.length < 50_000) samples.push(await round());
  samples.sort((a, b) => a - b);
  return { samples: samples.length, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), errors };
}

/** The other side's half: answers until `bye`; resolves then. */
export function respond(link: Link, spec: CaseSpec, kind: PayloadKind): Promise<void> {
  const payload = makePayload(kind, spec.size, spec.shape);
  return new Promise<void>((resolve, reject) => {
    const sendMany = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        if (!link.send(payload)) await link.drained();
      }
    };
    let counting = 0;
    let countErrors = 0;
    link.onMessage((value) => {
      if (!isControl(value)) {
        if (counting === 0) {
          link.send(value); // ping: echo what came
          return;
        }
        if (payloadSize(value) !== spec.size) countErrors++;
        if (--counting === 0) link.send({ op: 'counted', errors: countErrors });
        return;
      }
      switch (value.op) {
        case 'send': sendMany(value.n).catch(reject); break;
        case 'count': counting = value.n; countErrors = 0; break;
        case 'cpu': {
          const { user, system } = process.cpuUsage();
          link.send({ op: 'cpu', user, system });
          break;
        }
        case 'bye': resolve(); break;
        default: reject(new Error(`Unexpected control ${describe(value)}`));
      }
    });
    link.send({ op: 'ready' });
  });
}

/** Quantile of sorted values (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function describe(value: unknown): string {
  const size = payloadSize(value);
  return size >= 0 ? `a payload of ${size}` : JSON.stringify(value)?.slice(0, 100) ?? String(value);
}
