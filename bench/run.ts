/**
 * `npm run bench`: runs every case at every size, `runs` times, interleaved (run 1 of every
 * case and size, then run 2, …) so that a noisy moment of the machine hits all cases alike;
 * then prints medians and ratios against the baselines measured in this same run.
 * Each measurement is a fresh pair of processes started by `side.js` (see bench/README.md).
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { selectCases, type CaseDef } from './cases.js';
import type { CaseSpec } from './link.js';
import { formatSize, parseOptions, USAGE, type BenchOptions } from './options.js';
import { render, si, summarize, type Measurement } from './report.js';
import type { SideResult } from './side.js';

/** A measurement that takes longer than this is killed and counted as failed. */
const WATCHDOG_MS = 90_000;

const SIDE = fileURLToPath(new URL('./side.js', import.meta.url));

/** Runs one measurement: starts the parent side in its own process group, reads its RESULT. */
function measure(spec: CaseSpec): Promise<{ result?: SideResult; error?: string }> {
  return new Promise((resolve) => {
    // BENCH_NODE_ARGS: extra Node flags for both sides (e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile).
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const proc = spawn(process.execPath, [...nodeArgs, SIDE, 'parent', JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: the watchdog can end the parent and its child together
    });
    let result: SideResult | undefined;
    let stderr = '';
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as SideResult;
      else if (line.trim()) process.stderr.write(`  [${spec.name}] ${line}\n`);
    });
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      stderr += `\nkilled by the bench watchdog after ${WATCHDOG_MS} ms`;
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, WATCHDOG_MS);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      // A result counts even if closing afterwards was slow; say why otherwise.
      if (stderr.trim()) process.stderr.write(indent(spec.name, stderr));
      if (result) resolve({ result });
      else resolve({ error: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

function indent(name: string, text: string): string {
  return text.trim().split('\n').map((l) => `  [${name}] ${l}\n`).join('');
}

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
    warmupMs: d.warmupMs,
    oneWayMs: d.oneWayMs,
    pingWarmupMs: d.pingWarmupMs,
    pingMs: options.noPing ? 0 : d.pingMs,
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
  const stopNats = await startNatsIfAvailable();
  try {
    return await runAll(options);
  } finally {
    await stopNats();
  }
}

/**
 * NATS rows need a server: when none is named (UNIBUS_BENCH_NATS) and Debian's nats-server is
 * installed, start one on a port the kernel picks, with max_payload raised for the 1 MiB rows.
 */
async function startNatsIfAvailable(): Promise<() => Promise<void>> {
  if (process.env.UNIBUS_BENCH_NATS) return async () => undefined;
  const { NatsServer, natsServerAvailable } = await import('../test/helpers/nats-server.js');
  if (!natsServerAvailable()) return async () => undefined;
  const dir = mkdtempSync(join(tmpdir(), 'unibus-bench-nats-'));
  const config = join(dir, 'nats.conf');
  writeFileSync(config, 'max_payload: 8388608\n');
  const server = await NatsServer.start({ name: 'unibus-bench', config });
  process.env.UNIBUS_BENCH_NATS = server.url;
  return async () => {
    await server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
}

async function runAll(options: BenchOptions): Promise<number> {
  const { cases, notes } = await selectCases(options.only, options.withTransports);
  for (const note of notes) process.stderr.write(`note: ${note}\n`);
  const total = options.runs * options.sizes.length * cases.length;
  process.stderr.write(`bench: ${cases.length} cases × ${options.sizes.length} sizes × ${options.runs} runs = ${total} measurements\n`);
  const started = Date.now();
  const all: Measurement[] = [];
  let n = 0;
  for (let run = 1; run <= options.runs; run++) {
    for (const size of options.sizes) {
      for (const def of cases) {
        const id = `${process.pid}-${++n}`;
        const { result, error } = await measure(specFor(def, size, options, id));
        all.push({ case: def.name, size, run, ...(result ? { result } : {}), ...(error ? { error } : {}) });
        process.stderr.write(progress(n, total, def.name, size, result, error));
      }
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const shape = options.payload === 'object' ? '; payloads: objects { id, text }' : '';
  process.stdout.write(`\nunibus bench: ${options.runs} run(s), medians; Node ${process.version}, ${seconds} s${shape}\n\n`);
  process.stdout.write(`${render(cases, options.sizes, all, !options.noPing)}\n`);
  if (options.json) {
    const summaries = options.sizes.flatMap((size) => cases.map((c) => summarize(c.name, size, all)));
    writeFileSync(options.json, JSON.stringify({ node: process.version, date: new Date().toISOString(), options, summaries, measurements: all }, null, 2));
    process.stderr.write(`bench: wrote ${options.json}\n`);
  }
  return all.some((m) => m.error) ? 1 : 0;
}

function progress(n: number, total: number, name: string, size: number, result?: SideResult, error?: string): string {
  const head = `[${String(n).padStart(String(total).length)}/${total}] ${name.padEnd(13)} ${formatSize(size).padStart(7)}`;
  if (!result) return `${head}  FAILED ${error}\n`;
  const rate = result.oneWay.messages / result.oneWay.seconds;
  const ping = result.ping ? `  p50 ${si(result.ping.p50)} µs` : '';
  return `${head}  ${si(rate).padStart(6)} msg/s${ping}\n`;
}

process.exitCode = await main();
