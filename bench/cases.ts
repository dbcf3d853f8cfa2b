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
  /** `p2p`: two processes; `relay`: publisher → hub → subscriber; `fanout`: → 4 subscribers. */
  readonly group: Group;
  /** For `p2p`: which way the one-way phase runs (client → hub, or hub → client). */
  readonly direction: 'c2h' | 'h2c';
  /** The URL scheme (or baseline family) the case belongs to: `--only unix` selects all of them. */
  readonly family: string;
  /** For `relay` and `fanout`: subscriber processes. */
  readonly subscribers?: number;
}

export type Group = 'p2p' | 'relay' | 'fanout';

/** Baseline names, used for the ratio columns (the `-h2c` twins for the other direction). */
export const RAW = 'net-msgpackr';
export const IPC_ADVANCED = 'ipc-advanced';
export const IPC_JSON = 'ipc-json';
/** The unibus case other transports are compared with (issues 3-5 state targets against it). */
export const UNIX = 'unix';
/** The broker-routed baseline of the relay and fan-out cases. */
export const NATS = 'nats';
/** Suffix of the hub → client twin of a two-process case. */
export const H2C = '-h2c';
/** Subscriber processes of the fan-out cases. */
export const FANOUT_SUBSCRIBERS = 4;

/** The name of the reference case `family` for a case of `def`'s group and direction. */
export function referenceFor(def: CaseDef, family: string): string {
  if (def.group !== 'p2p') return `${def.group}-${family}`;
  return def.direction === 'h2c' ? family + H2C : family;
}

const BASELINES: readonly CaseDef[] = [
  { name: RAW, kind: 'net', baseline: true, group: 'p2p', direction: 'c2h', family: RAW, about: 'raw net Unix socket, msgpackr frames, batched per event-loop turn' },
  { name: IPC_ADVANCED, kind: 'ipc', serialization: 'advanced', baseline: true, group: 'p2p', direction: 'c2h', family: IPC_ADVANCED, about: "child-process IPC, serialization: 'advanced'" },
  { name: IPC_JSON, kind: 'ipc', serialization: 'json', baseline: true, group: 'p2p', direction: 'c2h', family: IPC_JSON, about: "child-process IPC, serialization: 'json' (payload: a string)" },
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

/** The hub → client twin of a two-process case. */
function h2c(def: CaseDef): CaseDef {
  return { ...def, name: def.name + H2C, direction: 'h2c', about: `${def.about}; parent (hub) → child (client)` };
}

/** Every case that exists on this branch, in report order, and notes on schemes left out. */
async function allCases(natsAvailable: boolean): Promise<{ all: CaseDef[]; notes: string[] }> {
  const notes: string[] = [];
  const schemes = (await registeredSchemes()).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const busCases: CaseDef[] = [];
  const brokered: CaseDef[] = [];
  const bus = (name: string, family: string, url: (id: string) => string, about: string): CaseDef =>
    ({ name, kind: 'bus', baseline: false, group: 'p2p', direction: 'c2h', family, url, about });
  const routed = (group: 'relay' | 'fanout', family: string, url: (id: string) => string, via: string): CaseDef => ({
    name: `${group}-${family}`, kind: 'relay', baseline: family === NATS, group, direction: 'c2h', family, url,
    ...(group === 'fanout' ? { subscribers: FANOUT_SUBSCRIBERS } : { subscribers: 1 }),
    about: group === 'relay'
      ? `publisher client → ${via} → subscriber client (3 processes)`
      : `publisher client → ${via} → ${FANOUT_SUBSCRIBERS} subscriber clients (6 processes), deliveries/s`,
  });
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
    busCases.push(bus(scheme, scheme, url, `unibus Bus over ${url('ID')}`));
    for (const v of VARIANTS[scheme] ?? []) {
      busCases.push(bus(`${scheme}-${v.suffix}`, scheme, (id) => url(id) + v.query, `unibus Bus over ${url('ID')}${v.query}: ${v.about}`));
    }
    busCases.push({
      name: `t-${scheme}`, kind: 'transport', baseline: false, group: 'p2p', direction: 'c2h', family: scheme, url,
      about: `${scheme} transport Connection alone (no Bus), msgpackr values like net-msgpackr`,
    });
    // memory:// lives in one process: a relay through it would measure no process boundary.
    if (scheme !== 'memory') brokered.push(routed('relay', scheme, url, `unibus hub over ${scheme}`), routed('fanout', scheme, url, `unibus hub over ${scheme}`));
  }
  // NATS is a Fabric, not a registered transport: benched through nats-server when there is one.
  const natsUrl = (): string => process.env.UNIBUS_BENCH_NATS!;
  if (natsAvailable) {
    busCases.push(bus(NATS, NATS, natsUrl, 'unibus Bus over NATS (nats-server routes)'));
    brokered.unshift(routed('relay', NATS, natsUrl, 'nats-server'), routed('fanout', NATS, natsUrl, 'nats-server'));
  } else {
    notes.push('nats: no nats-server on PATH and no UNIBUS_BENCH_NATS=nats://HOST:PORT: NATS cases left out');
  }
  if (schemes.length === 0) notes.push('no transport registry on this branch yet: baselines only');
  const p2p = [...BASELINES, ...busCases];
  // Option variants (shm-spin) are about latency, which is measured client → hub only.
  const twins = p2p.filter((c) => c.kind !== 'transport' && c.name === c.family).map(h2c);
  const all = [...p2p, ...twins,
    ...brokered.filter((c) => c.group === 'relay'), ...brokered.filter((c) => c.group === 'fanout')];
  return { all, notes };
}

/**
 * Every case to run, in report order. `only` holds case names (`unix-h2c`, `relay-shm`),
 * families (`unix`: every case over unix://, both directions, relay and fan-out) or groups
 * (`p2p`, `relay`, `fanout`); empty = all. The references of what is chosen are added: the
 * baselines of each direction measured, `unix` of the same kind (the ×unix column), and NATS
 * beside relay and fan-out. `t-<scheme>` cases run when named, or with `withTransports`.
 * Returns the cases and notes on schemes that are registered but not benched.
 */
export async function selectCases(only: readonly string[], withTransports = false, natsAvailable = Boolean(process.env.UNIBUS_BENCH_NATS)): Promise<{ cases: CaseDef[]; notes: string[] }> {
  const { all, notes } = await allCases(natsAvailable);
  const names = new Set(all.map((c) => c.name));
  const families = new Set(all.map((c) => c.family));
  const groups = new Set<string>(['p2p', 'relay', 'fanout']);
  const unknown = only.filter((t) => !names.has(t) && !families.has(t) && !groups.has(t));
  if (unknown.length > 0) {
    throw new RangeError(`Unknown case: ${unknown.join(', ')} (cases: ${[...names].join(', ')}; or a scheme, or p2p, relay, fanout)`);
  }
  const tokens = new Set(only);
  const picked = (c: CaseDef): boolean => (only.length === 0 || tokens.has(c.name) || tokens.has(c.group)
    || (tokens.has(c.family) && c.kind !== 'transport')) && (c.kind !== 'transport' || withTransports || tokens.has(c.name));
  const wanted = new Set(all.filter(picked).map((c) => c.name));
  // Variants ride along with their case (issue 5 states shm's latency target with spin).
  for (const c of all) if (c.kind === 'bus' && wanted.has(referenceFor(c, c.family)) && c.name !== referenceFor(c, c.family)) wanted.add(c.name);
  for (const c of all.filter((x) => wanted.has(x.name))) {
    if (c.group === 'p2p') {
      for (const b of [RAW, IPC_ADVANCED, IPC_JSON]) wanted.add(referenceFor(c, b));
      if (!c.baseline) wanted.add(referenceFor(c, UNIX));
    } else {
      wanted.add(referenceFor(c, UNIX));
      if (names.has(referenceFor(c, NATS))) wanted.add(referenceFor(c, NATS));
    }
  }
  return { cases: all.filter((c) => wanted.has(c.name)), notes };
}

function rank(scheme: string): number {
  const at = ORDER.indexOf(scheme);
  return at < 0 ? ORDER.length : at;
}
