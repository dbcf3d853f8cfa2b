/**
 * The hub's `maxHold` (docs/zero-copy.md): a subscriber that keeps a zero-copy sample longer
 * than `maxHold` ms is a slow consumer, like one that stops reading. A bus revokes its own
 * samples after its `subscribe(…, { maxHold })`, but only while its event loop runs and only if
 * it is this library; the hub is the one place that sees every holder, so it enforces the bound.
 *
 * How: no per-sample work on the routing path. A timer (a quarter of `maxHold`, 20 ms to 1 s)
 * reads every pool's holders words (two Int32 loads per block) and remembers, per held run,
 * its generation, which lanes held it at first sight, and when. Lanes that still hold the same
 * generation `maxHold` ms later are reported. A sample is thus noticed between `maxHold` and
 * `maxHold` plus one period after it was routed.
 * @module
 */
import type { PoolView } from './pool-reader.js';
import { generationIndex, holdersHalf } from './pool-layout.js';

interface Seen {
  generation: number;
  /** Lanes (bits 1..31 / 32..63) that held it at every look since `since`. */
  low: number;
  high: number;
  readonly since: number;
}

export class HoldWatch {
  readonly #maxHold: number;
  readonly #pools: () => Iterable<PoolView>;
  readonly #slow: (lane: number, ms: number) => void;
  readonly #seen = new Map<PoolView, Map<number, Seen>>();
  #timer: NodeJS.Timeout | undefined;

  /** `slow(lane, ms)` is called for each lane that held a sample `ms` > maxHold (again on later looks until it lets go). */
  constructor(maxHold: number, pools: () => Iterable<PoolView>, slow: (lane: number, ms: number) => void) {
    this.#maxHold = maxHold;
    this.#pools = pools;
    this.#slow = slow;
  }

  /** Starts looking (idempotent; nothing when maxHold is Infinity). */
  start(): void {
    if (this.#timer || !Number.isFinite(this.#maxHold)) return;
    const period = Math.min(1000, Math.max(20, this.#maxHold / 4));
    this.#timer = setInterval(() => this.look(Date.now()), period);
    this.#timer.unref();
  }

  /** One look at every pool at time `now` (ms). */
  look(now: number): void {
    let slowLow = 0;
    let slowHigh = 0;
    let oldest = 0;
    const live = new Set<PoolView>();
    for (const view of this.#pools()) {
      live.add(view);
      let seen = this.#seen.get(view);
      if (!seen) this.#seen.set(view, seen = new Map());
      const words = view.words;
      for (let b = 0; b < view.blocks; b++) {
        const at = holdersHalf(b, 0);
        const low = Atomics.load(words, at) & ~1; // bit 0: in flight, the hub's own hold
        const high = Atomics.load(words, at + 1);
        if (low === 0 && high === 0) {
          seen.delete(b);
          continue;
        }
        const generation = Atomics.load(words, generationIndex(b));
        const s = seen.get(b);
        if (!s || s.generation !== generation || ((s.low & low) | (s.high & high)) === 0) {
          seen.set(b, { generation, low, high, since: now });
          continue;
        }
        s.low &= low;
        s.high &= high;
        if (now - s.since > this.#maxHold) {
          slowLow |= s.low;
          slowHigh |= s.high;
          oldest = Math.max(oldest, now - s.since);
        }
      }
    }
    for (const view of this.#seen.keys()) if (!live.has(view)) this.#seen.delete(view);
    for (let lane = 1; lane < 64; lane++) {
      const bit = 1 << (lane & 31);
      if (((lane < 32 ? slowLow : slowHigh) & bit) !== 0) this.#slow(lane, oldest);
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#seen.clear();
  }
}
