/**
 * Medians over runs and the printed tables: per payload size, each case's figures and its
 * ratios against the baselines measured in the same run.
 * @module
 */
import { IPC_ADVANCED, IPC_JSON, NATS, RAW, referenceFor, UNIX, type CaseDef } from './cases.js';
import { formatSize } from './options.js';
import type { SideResult } from './side.js';

/** One measurement: a case, a size, a run. */
export interface Measurement {
  readonly case: string;
  readonly size: number;
  readonly run: number;
  readonly result?: SideResult;
  readonly error?: string;
}

/** Medians of one case at one size. */
export interface Summary {
  readonly case: string;
  readonly size: number;
  readonly runs: number;
  readonly failures: number;
  readonly msgsPerSec: number;
  readonly bytesPerSec: number;
  /** CPU time of both processes per message, µs. */
  readonly cpuPerMsg: number;
  /** (max − min) / median of msgs/s over runs. */
  readonly spread: number;
  readonly p50: number;
  readonly p99: number;
  /** Request/reply round trips (µs), where the case has them. */
  readonly reqP50: number;
  readonly reqP99: number;
  /** Payloads that arrived with a wrong size, summed over runs. */
  readonly errors: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(caseName: string, size: number, all: readonly Measurement[]): Summary {
  const mine = all.filter((m) => m.case === caseName && m.size === size);
  const ok = mine.filter((m) => m.result).map((m) => m.result!);
  const rates = ok.map((r) => r.oneWay.messages / r.oneWay.seconds);
  const rate = median(rates);
  const pings = ok.filter((r) => r.ping);
  const requests = ok.filter((r) => r.request);
  return {
    case: caseName,
    size,
    runs: ok.length,
    failures: mine.length - ok.length,
    msgsPerSec: rate,
    bytesPerSec: rate * size,
    cpuPerMsg: median(ok.map((r) => r.oneWay.cpuMicros / r.oneWay.messages)),
    spread: rates.length > 1 ? (Math.max(...rates) - Math.min(...rates)) / rate : 0,
    p50: median(pings.map((r) => r.ping!.p50)),
    p99: median(pings.map((r) => r.ping!.p99)),
    reqP50: median(requests.map((r) => r.request!.p50)),
    reqP99: median(requests.map((r) => r.request!.p99)),
    errors: ok.reduce((n, r) => n + r.oneWay.errors + (r.ping?.errors ?? 0) + (r.request?.errors ?? 0), 0),
  };
}

/** 1234567 → "1.23M", 45678 → "45.7k", 12.3 → "12.3". */
export function si(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${(n / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${(n / 1e3).toPrecision(3)}k`;
  if (a >= 100) return n.toFixed(0);
  return n.toPrecision(3);
}

function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '–';
  const r = a / b;
  return r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}

export function bytesRate(bps: number): string {
  if (!Number.isFinite(bps)) return '–';
  return bps >= 1e9 ? `${(bps / 1e9).toFixed(2)} GB/s` : `${(bps / 1e6).toPrecision(3)} MB/s`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function cpu(s: Summary): string {
  return s.cpuPerMsg >= 100 ? s.cpuPerMsg.toFixed(0) : Number.isFinite(s.cpuPerMsg) ? s.cpuPerMsg.toPrecision(3) : '–';
}

function label(c: CaseDef, s: Summary): string {
  const failed = s.failures > 0 ? ` (${s.failures} failed)` : '';
  const bad = s.errors > 0 ? ` (${s.errors} bad)` : '';
  return `${c.name}${failed}${bad}`;
}

/** The printed report: per size, the two-process table and the relay/fan-out table; a legend. */
export function render(cases: readonly CaseDef[], sizes: readonly number[], all: readonly Measurement[], withPing: boolean): string {
  const out: string[] = [];
  const p2p = cases.filter((c) => c.group === 'p2p');
  const routed = cases.filter((c) => c.group !== 'p2p');
  const names = new Set(cases.map((c) => c.name));
  const hasUnix = names.has(UNIX) || names.has(UNIX + '-h2c');
  for (const size of sizes) {
    const sums = new Map(cases.map((c) => [c.name, summarize(c.name, size, all)]));
    /** The summary of reference `family` for case `c` (same group and direction), if measured. */
    const ref = (c: CaseDef, family: string): Summary | undefined => sums.get(referenceFor(c, family));
    const rate = (c: CaseDef, family: string): number => ref(c, family)?.msgsPerSec ?? NaN;
    out.push(`── ${formatSize(size)} ──`);
    if (p2p.length > 0) {
      const header = ['case', 'msg/s', 'payload', 'cpu µs/msg', '±', '×raw', '×ipcA', '×ipcJ'];
      if (hasUnix) header.push('×unix');
      if (withPing) header.push('p50 µs', 'p99 µs', 'p50/raw', 'p99/raw');
      const rows = p2p.map((c) => {
        const s = sums.get(c.name)!;
        const raw = sums.get(RAW);
        const row = [
          label(c, s), si(s.msgsPerSec), bytesRate(s.bytesPerSec), cpu(s), s.runs > 1 ? `${Math.round(s.spread * 100)}%` : '',
          ratio(s.msgsPerSec, rate(c, RAW)), ratio(s.msgsPerSec, rate(c, IPC_ADVANCED)), ratio(s.msgsPerSec, rate(c, IPC_JSON)),
        ];
        if (hasUnix) row.push(c.baseline ? '' : ratio(s.msgsPerSec, rate(c, UNIX)));
        if (withPing) row.push(si(s.p50), si(s.p99), ratio(s.p50, raw?.p50 ?? NaN), ratio(s.p99, raw?.p99 ?? NaN));
        return row;
      });
      out.push(table(header, rows), '');
    }
    const withRequest = p2p.filter((c) => Number.isFinite(sums.get(c.name)!.reqP50));
    const raw = sums.get(RAW);
    if (withPing && withRequest.length > 0 && raw) {
      const reqRows = withRequest.map((c) => {
        const s = sums.get(c.name)!;
        return [c.name, si(s.reqP50), si(s.reqP99), ratio(s.reqP50, raw.p50), ratio(s.reqP99, raw.p99), ratio(s.reqP50, s.p50)];
      });
      out.push(table([`request/reply, ${formatSize(size)}`, 'p50 µs', 'p99 µs', 'p50/raw', 'p99/raw', 'p50/echo'], reqRows), '');
    }
    if (routed.length > 0) {
      const rows = routed.map((c) => {
        const s = sums.get(c.name)!;
        return [label(c, s), si(s.msgsPerSec), bytesRate(s.bytesPerSec), cpu(s), s.runs > 1 ? `${Math.round(s.spread * 100)}%` : '',
          c.family === NATS ? '' : ratio(s.msgsPerSec, rate(c, NATS)), c.family === UNIX ? '' : ratio(s.msgsPerSec, rate(c, UNIX))];
      });
      out.push(table([`relay, fan-out ${formatSize(size)}`, 'recv/s', 'payload', 'cpu µs/recv', '±', '×nats', '×unix'], rows), '');
    }
  }
  out.push(
    'Figures are medians over runs. msg/s, payload rate and cpu are one-way (cpu: user+system of every',
    'process of the case per message); ± is the msg/s spread over runs; ×X = msg/s ratio against baseline X',
    'in the same direction (-h2c: hub → client, against the -h2c baselines; higher is better);',
    'p50/raw, p99/raw = round-trip latency ratio against the raw socket (lower is better);',
    'relay, fan-out: messages received per second by all subscribers together (fan-out: deliveries),',
    'cpu per received message, ×nats against NATS pub/sub through nats-server in the same run;',
    'request/reply: Bus request() to a serve() echo; p50/echo = against the same case\'s publish/subscribe echo.',
    ...cases.map((c) => `  ${c.name.padEnd(18)} ${c.about}`),
  );
  return out.join('\n');
}
