/**
 * `npm run bench`: runs every case at every size, `runs` times, interleaved (run 1 of every
 * case and size, then run 2, …) so that a noisy moment of the machine hits all cases alike;
 * then prints medians and ratios against the baselines measured in this same run.
 * Each measurement is a fresh pair of processes started by `side.js` (see bench/README.md).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { selectCases, type CaseDef } from './cases.js';
import type { CaseSpec } from './link.js';
import { measure } from './measure.js';
import { benchStopping } from './signals.js';
import { sweepMeasurement } from './sweep.js';
import { natsAvailable, startNats } from './nats.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { Progress } from './progress.js';
import { render, summarize, type Measurement } from './report.js';

function specFor(def: CaseDef, size: number, options: BenchOptions, id: string): CaseSpec {
  const d = options.durations;
  return {
    name: def.name,
    kind: def.kind,
    id,
    ...(def.url ? { url: def.url(id) } : {}),
    ...(def.serialization ? { serialization: def.serialization } : {}),
    size,
    ...(options.payload === 'object' ? { shape: 'object' as const } : {}),
    ...(def.direction === 'h2c' ? { direction: 'h2c' as const } : {}),
    ...(def.subscribers !== undefined ? { subscribers: def.subscribers } : {}),
    warmupMs: d.warmupMs,
    oneWayMs: d.oneWayMs,
    pingWarmupMs: d.pingWarmupMs,
    // Round trips are the same both ways: timed once, on the client → hub case.
    pingMs: options.noPing || def.group !== 'p2p' || def.direction === 'h2c' ? 0 : d.pingMs,
  };
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let selected: Awaited<ReturnType<typeof selectCases>>;
  try {
    selected = await selectCases(options.only, options.withTransports, await natsAvailable());
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const { cases, notes } = selected;
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  const stopNats = cases.some((c) => c.family === 'nats') ? await startNats() : async () => undefined;
  try {
    return await runAll(options, cases);
  } finally {
    await stopNats();
  }
}

async function runAll(options: BenchOptions, cases: readonly CaseDef[]): Promise<number> {
  const total = options.runs * options.sizes.length * cases.length;
  process.stderr.write(`bench: ${cases.length} cases × ${options.sizes.length} sizes × ${options.runs} runs = ${total} measurements\n`);
  const schedule: string[] = [];
  for (let run = 1; run <= options.runs; run++) for (const size of options.sizes) for (const def of cases) schedule.push(Progress.key(def.name, size));
  const progress = new Progress(schedule);
  const all: Measurement[] = [];
  let n = 0;
  for (let run = 1; run <= options.runs; run++) {
    for (const size of options.sizes) {
      for (const def of cases) {
        if (benchStopping()) return 1; // a signal is ending the bench (./signals.ts)
        const id = `${process.pid}-${++n}`;
        const { result, error } = await measure(specFor(def, size, options, id));
        await sweepMeasurement(id);
        all.push({ case: def.name, size, run, ...(result ? { result } : {}), ...(error ? { error } : {}) });
        process.stderr.write(progress.line(def, size, result, error));
      }
    }
  }
  const seconds = progress.elapsedSeconds().toFixed(0);
  const shape = options.payload === 'object' ? '; payloads: objects { id, text }' : '';
  process.stdout.write(`\nunibus bench: ${options.runs} run(s), medians; Node ${process.version}, ${seconds} s${shape}\n\n`);
  process.stdout.write(`${render(cases, options.sizes, all, !options.noPing)}\n`);
  const summaries = options.sizes.flatMap((size) => cases.map((c) => summarize(c.name, size, all)));
  let failed = all.some((m) => m.error);
  try {
    if (options.json) {
      writeFileSync(options.json, JSON.stringify({ node: process.version, date: new Date().toISOString(), options, cases, summaries, measurements: all }, null, 2));
      process.stderr.write(`bench: wrote ${options.json}\n`);
    }
    if (options.chart) {
      const { writeChart } = await import('./chart.js');
      await writeChart(options.chart, cases, summaries, { payload: options.payload, runs: options.runs, date: new Date().toISOString().slice(0, 10) });
      process.stderr.write(`bench: wrote ${options.chart}\n`);
    }
  } catch (err) {
    // The table is printed already: say what could not be written, and fail.
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    failed = true;
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
