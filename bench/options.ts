/**
 * Command-line options of `npm run bench` (`node dist/bench/run.js [options]`).
 * Pure parsing: `parseOptions(argv)` normalises and rejects bad values with uniform messages.
 * @module
 */

/** What payloads are made of (see `makePayload` in link.ts). */
export type PayloadShape = 'bytes' | 'object';

/** How long each phase of one measurement lasts, in milliseconds. */
export interface Durations {
  /** Warm-up and calibration of the one-way phase (the JIT settles, the rate is estimated). */
  readonly warmupMs: number;
  /** The measured one-way phase. */
  readonly oneWayMs: number;
  /** Warm-up round trips before the measured ping-pong phase. */
  readonly pingWarmupMs: number;
  /** The measured ping-pong phase. */
  readonly pingMs: number;
}

export interface BenchOptions {
  /** Case names to run (baselines are always added); empty = every case. */
  readonly only: readonly string[];
  /** Payload sizes in bytes. */
  readonly sizes: readonly number[];
  /** Runs per case and size; figures are medians over runs. */
  readonly runs: number;
  readonly durations: Durations;
  /** Write every run's figures and the medians here as JSON. */
  readonly json?: string;
  /** Write the chart of ratios here (SVG); `''` = no chart. */
  readonly chart: string;
  /** Skip the ping-pong phase. */
  readonly noPing: boolean;
  /** Add the transport-level case (`t-<scheme>`) beside each Bus case. */
  readonly withTransports: boolean;
  /** `bytes` (default): payloads are byte arrays (strings for ipc-json); `object`: `{ id, text }`. */
  readonly payload: PayloadShape;
}

/** Where the chart goes unless `--chart` says otherwise (the README shows this file). */
export const DEFAULT_CHART = 'docs/bench.svg';

export const DEFAULT_SIZES: readonly number[] = [64, 4096, 65536, 1048576];

const NORMAL: Durations = { warmupMs: 200, oneWayMs: 500, pingWarmupMs: 100, pingMs: 400 };
const QUICK: Durations = { warmupMs: 80, oneWayMs: 200, pingWarmupMs: 40, pingMs: 150 };

export const USAGE = `Usage: npm run bench -- [options]

  --only a,b       cases (unix-h2c, relay-shm, t-unix), schemes (unix: all its cases) or
                   groups (p2p, relay, fanout); their baselines are added: e.g. unix,shm
  --sizes 64,4096  payload sizes in bytes (suffixes k, KiB, m, MiB allowed)
  --runs N         runs per case and size; figures are medians (default 3, quick 1)
  --quick          one run, shorter phases: a sanity check, not a measurement
  --no-ping        skip ping-pong latency
  --transports     add t-<scheme> cases: each transport's Connection without the Bus
  --payload object payloads are objects { id, text } (text of the size) for every case,
                   instead of byte arrays: every codec on every path encodes a map
  --json FILE      write all runs and medians as JSON
  --chart FILE     write the chart of ratios (SVG) there (default ${DEFAULT_CHART}); --chart ''
                   for none
  --help           this text`;

/** Parses `argv` (without node and script). Throws `RangeError` / `TypeError` on bad input. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  let only: string[] = [];
  let sizes = DEFAULT_SIZES;
  let runs: number | undefined;
  let quick = false;
  let json: string | undefined;
  let chart: string = DEFAULT_CHART;
  let noPing = false;
  let withTransports = false;
  let payload: PayloadShape = 'bytes';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new TypeError(`Missing value: ${flag}`);
      return v;
    };
    switch (flag) {
      case '--only': only = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--sizes': sizes = value().split(',').map(parseSize); break;
      case '--runs': runs = parseCount(value(), '--runs'); break;
      case '--quick': quick = true; break;
      case '--no-ping': noPing = true; break;
      case '--transports': withTransports = true; break;
      case '--json': json = value(); break;
      case '--chart': chart = inline ?? argv[++i] ?? ''; break;
      case '--payload': {
        const v = value();
        if (v !== 'bytes' && v !== 'object') throw new RangeError(`--payload must be bytes or object: ${v}`);
        payload = v;
        break;
      }
      case '--help': case '-h': return 'help';
      default: throw new TypeError(`Unknown option: ${arg}`);
    }
  }
  return {
    only,
    sizes,
    runs: runs ?? (quick ? 1 : 3),
    durations: quick ? QUICK : NORMAL,
    noPing,
    withTransports,
    payload,
    chart,
    ...(json === undefined ? {} : { json }),
  };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

function parseCount(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new RangeError(`${flag} must be an integer from 1 to 100: ${text}`);
  return n;
}

/** `64`, `4k`, `4KiB`, `1m`, `1MiB` → bytes (binary multiples). */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!m) throw new RangeError(`Invalid size: ${text}`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const n = Number(m[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
  if (n < 1 || n > 64 * 1024 * 1024) throw new RangeError(`Size must be from 1 B to 64 MiB: ${text}`);
  return n;
}

/** 64 → "64 B", 4096 → "4 KiB", 1048576 → "1 MiB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1048576 && bytes % 1048576 === 0) return `${bytes / 1048576} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
