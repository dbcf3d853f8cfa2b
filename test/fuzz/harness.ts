/**
 * Runs one fuzz target in this thread: regression inputs first, then `cases` generated ones
 * (seeded, so a failure can be replayed), counting handled inputs, typed rejections and crashes.
 * The first crash stops the run (not shrunk: see below). Hangs cannot be
 * seen from inside a synchronous loop: `supervisor.ts` runs this in a worker and watches
 * `progress` (one increment per case).
 * @module
 */
import fc from 'fast-check';
import { PropertyFailure, type FuzzTarget } from './target.js';

export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  /** Inputs run (regressions included), before the first crash or hang. */
  cases: number;
  /** Inputs handled without an error (a correct value). */
  handled: number;
  /** Inputs rejected with one of the target's typed errors. */
  rejections: number;
  /** 0 or 1: the run stops at the first crash (untyped error or wrong value). */
  crashes: number;
  /** 0 or 1: set by the supervisor when a case made no progress. */
  hangs: number;
  /** Names of the typed errors seen, with counts (shows what the rejections were). */
  rejectedAs: Record<string, number>;
  /** The (shrunk) input and error of the crash, or the case number of the hang. */
  failure?: string;
  ms: number;
}

type Outcome = 'handled' | 'rejected' | Error;

function once<T>(target: FuzzTarget<T>, input: T, report: FuzzReport): Outcome {
  try {
    target.run(input);
    return 'handled';
  } catch (err) {
    if (!(err instanceof PropertyFailure) && target.typed(err)) {
      const name = (err as Error).constructor?.name ?? 'Error';
      report.rejectedAs[name] = (report.rejectedAs[name] ?? 0) + 1;
      return 'rejected';
    }
    return err instanceof Error ? err : new Error(`non-Error thrown: ${String(err)}`);
  }
}

/** Runs `target` for `cases` generated inputs; `progress[0]` counts cases for a watchdog. */
export function fuzz<T>(target: FuzzTarget<T>, cases: number, seed: number, progress?: Int32Array): FuzzReport {
  try {
    return fuzzCases(target, cases, seed, progress);
  } finally {
    target.cleanup?.();
  }
}

function fuzzCases<T>(target: FuzzTarget<T>, cases: number, seed: number, progress?: Int32Array): FuzzReport {
  const started = Date.now();
  const report: FuzzReport = { target: target.name, seed, cases: 0, handled: 0, rejections: 0, crashes: 0, hangs: 0, rejectedAs: {}, ms: 0 };
  const count = (o: Outcome): void => {
    report.cases++;
    if (progress) Atomics.add(progress, 0, 1);
    if (o === 'handled') report.handled++;
    else if (o === 'rejected') report.rejections++;
  };
  for (const input of target.regressions ?? []) {
    const o = once(target, input, report);
    count(o);
    if (o instanceof Error) {
      report.crashes = 1;
      report.failure = `regression input ${fc.stringify(input)}\n${o.stack ?? o.message}`;
      report.ms = Date.now() - started;
      return report;
    }
  }
  // No shrinking: on a 3 KiB input it can run for minutes; the seed and path replay the case.
  const result = fc.check(fc.property(target.input, (input) => {
    const o = once(target, input, report);
    count(o);
    if (o instanceof Error) throw o;
  }), { numRuns: cases, seed, endOnFailure: true });
  if (result.failed) {
    report.crashes = 1;
    const err = result.errorInstance as Error | undefined;
    const shown = fc.stringify(result.counterexample);
    report.failure = `seed=${seed} path=${result.counterexamplePath} input ${shown.length > 4000 ? `${shown.slice(0, 4000)}...` : shown}\n${err?.stack ?? String(err)}`;
  }
  report.ms = Date.now() - started;
  return report;
}
