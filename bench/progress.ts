/**
 * Progress on stderr while the bench runs (it takes minutes): one line per finished measurement
 * with its figure and an estimate of the time left. The estimate uses each case and size's own
 * duration from an earlier run where there is one (a fan-out measurement starts six processes
 * and takes longer than a raw socket's), and the mean duration so far otherwise.
 * @module
 */
import type { CaseDef } from './cases.js';
import { formatSize } from './options.js';
import { si } from './report.js';
import type { SideResult } from './side.js';

export class Progress {
  readonly #schedule: readonly string[];
  readonly #started = Date.now();
  readonly #took = new Map<string, number>();
  #last = Date.now();
  #done = 0;
  #spent = 0;

  /** `schedule`: the key (`case@size`) of every measurement, in the order they run. */
  constructor(schedule: readonly string[]) {
    this.#schedule = schedule;
  }

  static key(caseName: string, size: number): string {
    return `${caseName}@${size}`;
  }

  elapsedSeconds(): number {
    return (Date.now() - this.#started) / 1000;
  }

  /** Records a finished measurement; returns its progress line. */
  line(def: CaseDef, size: number, result?: SideResult, error?: string): string {
    const t = Date.now();
    const took = t - this.#last;
    this.#last = t;
    this.#took.set(Progress.key(def.name, size), took);
    this.#spent += took;
    this.#done++;
    const total = this.#schedule.length;
    const head = `[${String(this.#done).padStart(String(total).length)}/${total}] ${def.name.padEnd(18)} ${formatSize(size).padStart(7)}`;
    const eta = `  ${clock(this.elapsedSeconds())} elapsed, ~${clock(this.#remainingMs() / 1000)} left`;
    if (!result) return `${head}  FAILED ${error}${eta}\n`;
    const rate = result.oneWay.messages / result.oneWay.seconds;
    const unit = def.group === 'fanout' ? 'deliveries/s' : 'msg/s';
    const ping = result.ping ? `  p50 ${si(result.ping.p50)} µs` : '';
    return `${head}  ${si(rate).padStart(6)} ${unit}${ping}${eta}\n`;
  }

  #remainingMs(): number {
    const mean = this.#spent / Math.max(1, this.#done);
    let ms = 0;
    for (const key of this.#schedule.slice(this.#done)) ms += this.#took.get(key) ?? mean;
    return ms;
  }
}

/** 75 → "1:15", 3700 → "1:01:40". */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const hms = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const [h, m, sec] = hms as [number, number, number];
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}
