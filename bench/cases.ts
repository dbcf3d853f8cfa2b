/**
 * The cases of a bench run: the baselines, then one unibus case per registered transport
 * scheme (through the public Bus API), each with a URL made unique per measurement.
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseSpec } from './link.js';

/** A case before it is given a size, an id and durations. */
export interface CaseDef {
  readonly name: string;
  readonly kind: CaseSpec['kind'];
  readonly baseline: boolean;
  readonly serialization?: 'json' | 'advanced';
  /** For bus cases: the URL for one measurement id. */
  readonly url?: (id: string) => string;
  /** A short description for the report's legend. */
  readonly about: string;
}

/** Baseline names, used for the ratio columns. */
export const RAW = 'net-msgpackr';
export const IPC_ADVANCED = 'ipc-advanced';
export const IPC_JSON = 'ipc-json';
/** The unibus case other transports are compared with (issues 3-5 state targets against it). */
export const UNIX = 'unix';

const BASELINES: readonly CaseDef[] = [
  { name: RAW, kind: 'net', baseline: true, about: 'raw net Unix socket, msgpackr frames, batched per event-loop turn' },
  { name: IPC_ADVANCED, kind: 'ipc', serialization: 'advanced', baseline: true, about: "child-process IPC, serialization: 'advanced'" },
  { name: IPC_JSON, kind: 'ipc', serialization: 'json', baseline: true, about: "child-process IPC, serialization: 'json' (payload: a string)" },
];

const base = (id: string): string => join(tmpdir(), `unibus-bench-${id}`);

/** How to make a private URL for each scheme the bench knows; other schemes are skipped. */
export const URLS: Record<string, (id: string) => string> = {
  unix: (id) => `unix://${base(id)}.sock`,
  memory: (id) => `memory://unibus-bench-${id}`,
  pipe: () => 'pipe:',
  fifo: (id) => `fifo://${base(id)}`,
  sysvmq: (id) => `sysvmq://${base(id)}.key`,
  shm: (id) => `shm://unibus-bench-${id}`,
};

/**
 * Option variants of a scheme's Bus case, measured whenever that case is (issue 5 states its
 * latency target "with the spin option"): name suffix, URL query, legend.
 */
const VARIANTS: Record<string, ReadonlyArray<{ suffix: string; query: string; about: string }>> = {
  shm: [{ suffix: 'spin', query: '?spin=100', about: 'readers poll 100 µs before parking' }],
};

/** Preferred order in the report; schemes not listed come after, alphabetically. */
const ORDER = ['unix', 'memory', 'pipe', 'fifo', 'sysvmq', 'shm'];

/** Registered transport schemes, or none when the registry is not there yet. */
async function registeredSchemes(): Promise<string[]> {
  try {
    const registry = await import('../src/transports/registry.js');
    return registry.transportSchemes();
  } catch {
    return [];
  }
}

/**
 * Every case to run, baselines first. `only` selects cases by name (baselines are always
 * included, and `unix` whenever another bus case is chosen, for the ×unix column). The
 * transport-level cases (`t-<scheme>`) run when named in `only` or when `withTransports`.
 * Returns the cases and notes on schemes that are registered but not benched.
 */
export async function selectCases(only: readonly string[], withTransports = false): Promise<{ cases: CaseDef[]; notes: string[] }> {
  const notes: string[] = [];
  const schemes = (await registeredSchemes()).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const busCases: CaseDef[] = [];
  const transportCases: CaseDef[] = [];
  for (const scheme of schemes) {
    const url = URLS[scheme];
    if (scheme === 'file') {
      notes.push('file: the durable spool is not benched (its point is surviving crashes, and each run would leave spool data to delete)');
      continue;
    }
    if (!url) {
      notes.push(`scheme ${scheme}: registered, but the bench has no URL for it (add one in bench/cases.ts)`);
      continue;
    }
    busCases.push({ name: scheme, kind: 'bus', baseline: false, url, about: `unibus Bus over ${url('ID')}` });
    for (const v of VARIANTS[scheme] ?? []) {
      busCases.push({
        name: `${scheme}-${v.suffix}`, kind: 'bus', baseline: false, url: (id) => url(id) + v.query,
        about: `unibus Bus over ${url('ID')}${v.query}: ${v.about}`,
      });
    }
    transportCases.push({
      name: `t-${scheme}`, kind: 'transport', baseline: false, url,
      about: `${scheme} transport Connection alone (no Bus), msgpackr values like net-msgpackr`,
    });
  }
  // NATS is a Fabric, not a registered transport: benched when a server is named.
  const nats = process.env.UNIBUS_BENCH_NATS;
  const natsCase: CaseDef[] = nats ? [{ name: 'nats', kind: 'bus', baseline: false, url: () => nats, about: `unibus Bus over ${nats} (NATS server routes)` }] : [];
  if (!nats) notes.push('nats: set UNIBUS_BENCH_NATS=nats://127.0.0.1:PORT (a running nats-server) to bench it');
  if (schemes.length === 0) notes.push('no transport registry on this branch yet: baselines only');
  busCases.push(...natsCase);
  const known = new Set([...BASELINES, ...busCases, ...transportCases].map((c) => c.name));
  const unknown = only.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new RangeError(`Unknown case: ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const wanted = new Set(only.length > 0 ? only : busCases.map((c) => c.name));
  for (const c of busCases) if (wanted.has(c.name)) for (const v of VARIANTS[c.name] ?? []) wanted.add(`${c.name}-${v.suffix}`);
  if (withTransports) for (const c of transportCases) if (only.length === 0 || wanted.has(c.name.slice(2))) wanted.add(c.name);
  if (busCases.some((c) => wanted.has(c.name))) wanted.add(UNIX);
  // Transport-level cases sit right after their Bus case (and its variants).
  const byScheme = new Map(transportCases.map((t) => [t.name.slice(2), t]));
  const chosen = busCases.flatMap((c) => {
    const t = byScheme.get(c.name);
    return t ? [c, t] : [c];
  }).filter((c) => wanted.has(c.name));
  return { cases: [...BASELINES, ...chosen], notes };
}

function rank(scheme: string): number {
  const at = ORDER.indexOf(scheme);
  return at < 0 ? ORDER.length : at;
}
