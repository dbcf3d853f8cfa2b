/**
 * The chart of a bench run: an SVG drawn by vega-lite (compiled to vega, rendered server-side by
 * vega's headless SVG renderer), of every case's msg/s as a ratio against its baseline in the
 * same run: two-process cases against the raw msgpackr socket in the same direction, relay and
 * fan-out against NATS through nats-server. A line marks 1.0x.
 *
 *   node dist/bench/chart.js results.json out.svg   # redraw from a `--json` file
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NATS, RAW, referenceFor, type CaseDef } from './cases.js';
import { formatSize } from './options.js';
import type { Summary } from './report.js';

/** One bar: a case at a size, its ratio against its reference. */
interface Bar {
  readonly panel: string;
  readonly case: string;
  readonly size: string;
  readonly order: number;
  readonly kind: string;
  readonly ratio: number;
  readonly label: string;
}

const KIND: Record<string, string> = { c2h: 'client → hub', h2c: 'hub → client', relay: 'relay (3 processes)', fanout: 'fan-out 1 → 4 (deliveries)' };
const PANEL_P2P = 'two processes: × raw socket (same direction)';
const PANEL_ROUTED = 'broker-routed: × NATS via nats-server';

/** The bars of a run: every case with a measured reference, except the references themselves. */
export function bars(cases: readonly CaseDef[], summaries: readonly Summary[]): Bar[] {
  const rate = new Map(summaries.map((s) => [`${s.case}@${s.size}`, s.msgsPerSec]));
  const sizes = [...new Set(summaries.map((s) => s.size))].sort((a, b) => a - b);
  const out: Bar[] = [];
  for (const size of sizes) {
    cases.forEach((c, order) => {
      if (c.kind === 'transport') return;
      const family = c.group === 'p2p' ? RAW : NATS;
      if (c.family === family) return;
      const mine = rate.get(`${c.name}@${size}`);
      const theirs = rate.get(`${referenceFor(c, family)}@${size}`);
      if (mine === undefined || theirs === undefined || !(mine > 0) || !(theirs > 0)) return;
      const ratio = mine / theirs;
      out.push({
        panel: c.group === 'p2p' ? PANEL_P2P : PANEL_ROUTED,
        case: c.name, size: formatSize(size), order, kind: KIND[c.group === 'p2p' ? c.direction : c.group]!,
        ratio, label: `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}x`,
      });
    });
  }
  return out;
}

/** The vega-lite spec of the chart. */
export function chartSpec(data: readonly Bar[], subtitle: string): Record<string, unknown> {
  const sizes = [...new Set(data.map((b) => b.size))];
  const panel = (name: string): Record<string, unknown> => ({
    title: { text: name, anchor: 'start', fontSize: 13 },
    transform: [{ filter: { field: 'panel', equal: name } }],
    facet: { column: { field: 'size', type: 'ordinal', sort: sizes, title: null, header: { labelFontSize: 12, labelFontWeight: 'bold' } } },
    spec: {
      width: 170,
      layer: [
        {
          mark: { type: 'bar', height: { band: 0.8 } },
          encoding: {
            y: { field: 'case', type: 'nominal', sort: { field: 'order', op: 'min' }, title: null },
            x: { field: 'ratio', type: 'quantitative', title: 'ratio (higher is better)' },
            color: {
              field: 'kind', type: 'nominal', title: null, scale: { domain: Object.values(KIND) },
              legend: { orient: 'bottom', direction: 'horizontal', labelLimit: 400 },
            },
          },
        },
        {
          mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 },
          encoding: {
            y: { field: 'case', type: 'nominal', sort: { field: 'order', op: 'min' } },
            x: { field: 'ratio', type: 'quantitative' },
            text: { field: 'label' },
          },
        },
        { mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  });
  const panels = [PANEL_P2P, PANEL_ROUTED].filter((p) => data.some((b) => b.panel === p));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'unibus bench: msg/s as a ratio against the baselines of the same run', subtitle, anchor: 'start' },
    data: { values: data },
    vconcat: panels.map(panel),
    config: { font: 'sans-serif', view: { stroke: null }, axis: { labelFontSize: 10 } },
  };
}

/** Renders the chart of a run as SVG text. */
export async function renderChart(cases: readonly CaseDef[], summaries: readonly Summary[], subtitle: string): Promise<string> {
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const spec = compile(chartSpec(bars(cases, summaries), subtitle) as never).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes the chart of a run to `file`. */
export async function writeChart(file: string, cases: readonly CaseDef[], summaries: readonly Summary[], about: { payload: string; runs: number; date: string }): Promise<void> {
  const subtitle = `${about.date}, Node ${process.version}, medians of ${about.runs} run(s), ${about.payload === 'object' ? 'object' : 'byte'} payloads; 1.0x = as fast as the baseline`;
  writeFileSync(file, await renderChart(cases, summaries, subtitle));
}

// `node dist/bench/chart.js results.json out.svg`: redraw from a `--json` file.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) {
    process.stderr.write('usage: node dist/bench/chart.js results.json out.svg\n');
    process.exit(2);
  }
  const run = JSON.parse(readFileSync(input, 'utf8')) as { date: string; options: { payload: string; runs: number }; cases: CaseDef[]; summaries: Summary[] };
  await writeChart(output, run.cases, run.summaries, { payload: run.options.payload, runs: run.options.runs, date: run.date.slice(0, 10) });
}
