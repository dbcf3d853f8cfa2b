/**
 * The receiver's side of a zero-copy bench throughput measurement (run.ts): every message
 * counts, first toward the warm-up, then toward the measured window.
 *
 * Warm-up: windows of WINDOW_MS; warm once at least WARM_MIN_MS and WARM_MIN messages (fewer for
 * payloads so large that WARM_MIN_BYTES of copies come first) have passed *and* a window ran less
 * than 1.2x faster than the one before, or after WARM_MAX_MS whatever the rate. Measured: `seconds`
 * times the last window's rate, at least 20 messages.
 *
 * Why: run.ts used to count 150,000 samples from the first. At 64 KiB a relayed loan cost ~5 µs of
 * CPU in each process over the first 50,000 samples, 2-3 µs over the next 100,000 and ~0.5-1 after
 * (per-50,000 windows, 256 slots, load ~5): V8 compiles the per-batch functions (the ring's
 * read, the batch decode, the hub's drain) only after thousands of batches, i.e. 100,000-200,000
 * samples, and the subscriber spent ~0.6 s compiling in the first 50,000. The old figure was mostly
 * that warm-up.
 * @module
 */

/** Warm-up windows last this long (ms), checked every CHECK_EVERY messages. */
const WINDOW_MS = 250;
const WARM_MIN_MS = 1000;
const WARM_MAX_MS = 10_000;
const WARM_MIN = 150_000;
/** Copies of large payloads: this much payload (bytes) is warm-up enough when it is fewer messages. */
const WARM_MIN_BYTES = 2 ** 30;

/** What the measured window gave. */
export interface Measured {
  /** Messages counted after the warm-up. */
  count: number;
  /** Seconds from the warm mark to the last of them. */
  seconds: number;
  /** This process's CPU µs (user + system) over the same window. */
  cpuMicros: number;
  /** Messages received before the mark (the warm-up). */
  warm: number;
}

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/**
 * Counts messages: call `count()` once per message. `onWarm` runs at the warm mark, `onDone` once
 * the measured window is complete; messages after that are counted only (`received`).
 */
export class ThroughputMeter {
  received = 0;
  private readonly mask: number;
  private readonly warmMin: number;
  private readonly start = performance.now();
  private windowStart = this.start;
  private windowFrom = 0;
  private lastRate = Infinity;
  private mark = -1;
  private markTime = 0;
  private markCpu = 0;
  private target = 0;

  constructor(
    size: number,
    method: 'loan' | 'copy',
    private readonly seconds: number,
    private readonly onWarm: (warm: number) => void,
    private readonly onDone: (m: Measured) => void,
  ) {
    // The clock is read every 256 messages below 1 MiB (~40 ns a read), every message above.
    this.mask = size >= 1 << 20 ? 0 : 255;
    this.warmMin = method === 'copy' ? Math.max(20, Math.min(WARM_MIN, Math.ceil(WARM_MIN_BYTES / size))) : WARM_MIN;
  }

  count(): void {
    const n = ++this.received;
    if ((n & this.mask) !== 0) return;
    if (this.mark < 0) this.warming(n);
    else if (this.target > 0 && n - this.mark >= this.target) {
      const t = performance.now();
      const m = { count: n - this.mark, seconds: (t - this.markTime) / 1000, cpuMicros: cpuNow() - this.markCpu, warm: this.mark };
      this.target = 0;
      this.onDone(m);
    }
  }

  private warming(n: number): void {
    const t = performance.now();
    if (t - this.windowStart < WINDOW_MS) return;
    const rate = (n - this.windowFrom) / (t - this.windowStart);
    const steady = rate < this.lastRate * 1.2;
    this.lastRate = rate;
    this.windowStart = t;
    this.windowFrom = n;
    const elapsed = t - this.start;
    if (!((steady && elapsed >= WARM_MIN_MS && n >= this.warmMin) || elapsed >= WARM_MAX_MS)) return;
    this.mark = n;
    this.markTime = t;
    this.markCpu = cpuNow();
    this.target = Math.max(20, Math.round(rate * 1000 * this.seconds));
    this.onWarm(n);
  }
}

/** The rule above in words, for the bench's header. */
export const WARM_RULE = `warm-up: at least ${WARM_MIN_MS / 1000} s and ${WARM_MIN.toLocaleString('en')} messages (copies: or 1 GiB of payload), until a ${WINDOW_MS} ms window is no longer 1.2x faster than the one before (at most ${WARM_MAX_MS / 1000} s)`;
