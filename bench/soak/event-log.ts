/**
 * A soak client's record of what it did and saw, for the run's gap analysis (gap-report.ts):
 * acknowledged publishes and received messages as runs of consecutive sequence numbers with the
 * time of their first and last message, and bus events. Appended as JSON lines every 100 ms, so
 * a SIGKILLed client loses at most its last 100 ms (`flushed` says up to when the log is whole).
 * @module
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

/** Consecutive sequence numbers [from, to] seen between times t0 and t1 (ms since the epoch). */
export interface SeqRun { from: number; to: number; t0: number; t1: number }
/** One line of a client's log. */
export type LogLine =
  | { k: 'ack'; run: SeqRun }
  | { k: 'rcv'; stream: string; run: SeqRun }
  | { k: 'ev'; t: number; what: string; detail?: string }
  | { k: 'flushed'; t: number };

/** A new run starts at a jump in sequence or a pause longer than this (so holes have times). */
const PAUSE_MS = 200;
const FLUSH_MS = 100;

export class EventLog {
  readonly #file: string;
  #lines: LogLine[] = [];
  #ack: SeqRun | undefined;
  readonly #rcv = new Map<string, SeqRun>();
  readonly #timer: NodeJS.Timeout;

  constructor(dir: string, name: string) {
    this.#file = join(dir, `${name}.jsonl`);
    this.#timer = setInterval(() => this.flush(), FLUSH_MS);
    this.#timer.unref();
  }

  event(what: string, detail?: string): void {
    this.#lines.push({ k: 'ev', t: Date.now(), what, detail });
  }

  acked(seq: number): void {
    this.#ack = this.#extend(this.#ack, seq, (run) => this.#lines.push({ k: 'ack', run }));
  }

  received(stream: string, seq: number): void {
    const run = this.#extend(this.#rcv.get(stream), seq, (done) => this.#lines.push({ k: 'rcv', stream, run: done }));
    this.#rcv.set(stream, run);
  }

  #extend(run: SeqRun | undefined, seq: number, emit: (done: SeqRun) => void): SeqRun {
    const now = Date.now();
    if (run && seq === run.to + 1 && now - run.t1 <= PAUSE_MS) {
      run.to = seq;
      run.t1 = now;
      return run;
    }
    if (run) emit(run);
    return { from: seq, to: seq, t0: now, t1: now };
  }

  /** Writes what is pending, open runs included (as they stand: a later line may extend them). */
  flush(): void {
    const open: LogLine[] = [];
    if (this.#ack) open.push({ k: 'ack', run: { ...this.#ack } });
    for (const [stream, run] of this.#rcv) open.push({ k: 'rcv', stream, run: { ...run } });
    const lines = [...this.#lines, ...open, { k: 'flushed', t: Date.now() } as LogLine];
    this.#lines = [];
    appendFileSync(this.#file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
}
