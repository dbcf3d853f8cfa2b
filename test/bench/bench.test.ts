/**
 * The bench keeps working: option parsing, statistics, and one tiny measurement of every kind
 * of case (real processes, real sockets; durations so short the figures mean nothing).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selectCases } from '../../bench/cases.js';
import { parseOptions, parseSize, formatSize } from '../../bench/options.js';
import { quantile } from '../../bench/protocol.js';
import { median } from '../../bench/report.js';
import type { CaseSpec } from '../../bench/link.js';
import type { SideResult } from '../../bench/side.js';
import { script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';

const SIDE = script(import.meta.url, '../../bench/side.js');

test('options: sizes with units, quick defaults, bad values refused', () => {
  const o = parseOptions(['--quick', '--sizes', '64,4k,1MiB', '--only', 'unix,shm', '--json=x.json']);
  if (o === 'help') throw new Error('parsed as --help');
  assert.equal(o.sizes, [64, 4096, 1048576]);
  assert.equal(o.only, ['unix', 'shm']);
  assert.is(o.runs, 1);
  assert.is(o.json, 'x.json');
  assert.is((parseOptions(['--runs', '5']) as { runs: number }).runs, 5);
  assert.throws(() => parseOptions(['--runs', '0']), RangeError);
  assert.throws(() => parseOptions(['--sizes', '12q']), RangeError);
  assert.throws(() => parseOptions(['--frobnicate']), TypeError);
  assert.throws(() => parseOptions(['--only']), TypeError);
  assert.is((parseOptions([]) as { chart: string }).chart, 'docs/bench.svg');
  assert.is((parseOptions(['--chart', '/tmp/x.svg']) as { chart: string }).chart, '/tmp/x.svg');
  assert.is(parseOptions(['--help']), 'help');
  assert.is(parseSize('64 KiB'), 65536);
  assert.is(formatSize(65536), '64 KiB');
  assert.is(formatSize(100), '100 B');
});

test('statistics: median and nearest-rank quantiles', () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([4, 1, 3, 2]), 2.5);
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.is(quantile(sorted, 0.5), 50);
  assert.is(quantile(sorted, 0.99), 99);
  assert.is(quantile([7], 0.99), 7);
});

test('case selection: a scheme brings both directions, relay and fan-out, and their references', async () => {
  const { cases } = await selectCases(['shm'], false, true);
  const names = cases.map((c) => c.name);
  for (const n of ['net-msgpackr', 'net-msgpackr-h2c', 'ipc-advanced-h2c', 'unix', 'unix-h2c', 'shm', 'shm-spin', 'shm-h2c',
    'relay-nats', 'relay-unix', 'relay-shm', 'fanout-nats', 'fanout-unix', 'fanout-shm']) {
    assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
  }
  assert.not.ok(names.includes('t-shm'), 'transport cases only when asked');
  const relayOnly = (await selectCases(['relay-unix'], false, false)).cases.map((c) => c.name);
  assert.equal(relayOnly, ['relay-unix'], 'no NATS available: relay-unix alone, no two-process baselines');
  const h2cOnly = (await selectCases(['unix-h2c'], false, false)).cases.map((c) => c.name);
  assert.equal(h2cOnly, ['net-msgpackr-h2c', 'ipc-advanced-h2c', 'ipc-json-h2c', 'unix-h2c']);
  const refused = await selectCases(['frob']).then(() => undefined, (e: unknown) => e);
  assert.instance(refused, RangeError);
});

/** Runs one tiny measurement and returns its result. */
async function measureOnce(spec: Omit<CaseSpec, 'id' | 'size' | 'warmupMs' | 'oneWayMs' | 'pingWarmupMs' | 'pingMs'>, url?: (id: string) => string): Promise<SideResult> {
  const id = uniqueName('bench');
  const full: CaseSpec = {
    ...spec, id, size: 3000, warmupMs: 20, oneWayMs: 30, pingWarmupMs: 10, pingMs: 20,
    ...(url ? { url: url(id) } : {}),
  };
  const child = spawnNode(SIDE, ['parent', JSON.stringify(full)]);
  const line = await child.waitLine(/^RESULT /, 60_000);
  const exit = await child.waitExit(30_000);
  assert.is(exit.code, 0, `side exited ${exit.code} ${exit.signal}: ${child.stderr}`);
  return JSON.parse(line.slice(7)) as SideResult;
}

function check(result: SideResult, ping = true): void {
  assert.ok(result.oneWay.messages >= 3, `messages ${result.oneWay.messages}`);
  assert.ok(result.oneWay.seconds > 0);
  assert.ok(result.oneWay.cpuMicros > 0);
  assert.is(result.oneWay.errors, 0);
  if (!ping) return;
  assert.ok(result.ping, 'ping-pong figures');
  assert.ok(result.ping!.samples >= 20);
  assert.is(result.ping!.errors, 0);
  assert.ok(result.ping!.p50 > 0 && result.ping!.p99 >= result.ping!.p50);
  if (result.request) {
    assert.ok(result.request.samples >= 20);
    assert.is(result.request.errors, 0);
  }
}

const sock = (id: string): string => `unix:///tmp/unibus-bench-${id}.sock`;
const cases: Array<[string, Parameters<typeof measureOnce>[0], ((id: string) => string)?]> = [
  ['net-msgpackr', { name: 'net-msgpackr', kind: 'net' }],
  ['ipc-advanced', { name: 'ipc-advanced', kind: 'ipc', serialization: 'advanced' }],
  ['ipc-json', { name: 'ipc-json', kind: 'ipc', serialization: 'json' }],
  ['Bus over unix', { name: 'unix', kind: 'bus' }, sock],
  ['Bus over memory', { name: 'memory', kind: 'bus' }, (id) => `memory://unibus-bench-${id}`],
  ['unix transport alone', { name: 't-unix', kind: 'transport' }, sock],
];
for (const [label, spec, url] of cases) {
  test(`one tiny measurement: ${label}`, async () => {
    const result = await measureOnce(spec, url);
    check(result);
    // Bus cases are also timed through request/reply.
    assert.is(Boolean(result.request), spec.kind === 'bus');
  });
}

// The other direction: the parent (hub) sends, the child counts.
const h2c: Array<[string, Parameters<typeof measureOnce>[0], ((id: string) => string)?]> = [
  ['net-msgpackr-h2c', { name: 'net-msgpackr-h2c', kind: 'net', direction: 'h2c' }],
  ['ipc-advanced-h2c', { name: 'ipc-advanced-h2c', kind: 'ipc', serialization: 'advanced', direction: 'h2c' }],
  ['Bus over unix, hub → client', { name: 'unix-h2c', kind: 'bus', direction: 'h2c' }, sock],
  ['Bus over memory, hub → client, objects', { name: 'memory-h2c', kind: 'bus', direction: 'h2c', shape: 'object' }, (id) => `memory://unibus-bench-${id}`],
];
for (const [label, spec, url] of h2c) {
  test(`one tiny measurement: ${label}`, async () => check(await measureOnce(spec, url)));
}

// Relay (publisher → hub → subscriber) and fan-out (→ 4 subscribers), six processes at most.
test('one tiny measurement: relay over unix', async () => {
  const result = await measureOnce({ name: 'relay-unix', kind: 'relay', subscribers: 1 }, sock);
  check(result, false);
});
test('one tiny measurement: fan-out 1 → 4 over unix, objects, counted as deliveries', async () => {
  const result = await measureOnce({ name: 'fanout-unix', kind: 'relay', subscribers: 4, shape: 'object' }, sock);
  check(result, false);
  assert.is(result.oneWay.messages % 4, 0, 'deliveries: n per subscriber');
});

// The whole bench once, end to end: selection, progress lines, exit code, JSON and the chart.
test('npm run bench -- --quick: progress on stderr, --json keeps every figure, --chart writes an SVG', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'unibus-bench-test-'));
  try {
    const json = join(dir, 'out.json');
    const chart = join(dir, 'chart.svg');
    const run = spawnNode(script(import.meta.url, '../../bench/run.js'),
      ['--quick', '--no-ping', '--sizes', '100', '--only', 'unix-h2c,relay-unix', '--json', json, '--chart', chart]);
    const exit = await run.waitExit(240_000);
    assert.is(exit.code, 0, run.stderr);
    assert.match(run.stderr, /\[\d+\/\d+\] relay-unix .* left/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { summaries: Array<{ case: string; msgsPerSec: number }>; measurements: unknown[] };
    const names = out.summaries.map((s) => s.case);
    for (const n of ['net-msgpackr-h2c', 'unix-h2c', 'relay-unix']) assert.ok(names.includes(n), n);
    assert.ok(out.summaries.every((s) => s.msgsPerSec > 0));
    assert.ok(existsSync(chart));
    const svg = readFileSync(chart, 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /unix-h2c/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
