/**
 * Normalises supervisor options (from code or a JSON config): defaults filled in, bad values
 * refused with TypeError / RangeError naming the field, so a config mistake fails at start.
 * @module
 */
import { basename } from 'node:path';
import { checkPipeUrl } from '../../transports/pipe/pipe-url.js';
import type { ChildSpec, RestartPolicy, RestartStrategy, SupervisorBus, SupervisorOptions } from './types.js';

/** A child spec with every default filled in. */
export interface ResolvedChild {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly restart: RestartPolicy;
  readonly heartbeat: boolean;
  readonly autoHeartbeat: boolean;
  readonly stdout: 'inherit' | 'stderr' | 'ignore';
  readonly graceMs: number;
}

/** Supervisor options with every default filled in. */
export interface ResolvedOptions {
  readonly name: string;
  readonly children: readonly ResolvedChild[];
  readonly strategy: RestartStrategy;
  readonly intervalMs: number;
  readonly threshold: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number; readonly resetAfterMs: number };
  readonly intensity: { readonly maxRestarts: number; readonly periodMs: number };
  /** How children reach the bus (see {@link BusPlan}). */
  readonly plan: BusPlan;
  /** Where events are published besides `events` (the own hub is added at start). */
  readonly bus: SupervisorBus | undefined;
  readonly subreaper: boolean;
}

/**
 * How children reach the bus:
 * - `own-pipe`: the supervisor listens on `url` (a `pipe:` URL) and starts children through it;
 * - `given-pipe`: children are started through `options.bus`, a `pipe:` bus;
 * - `url`: children are spawned directly with `UNIBUS_URL=url`;
 * - `none`: children are spawned directly and get no URL.
 */
export type BusPlan =
  | { readonly kind: 'own-pipe'; readonly url: string }
  | { readonly kind: 'given-pipe'; readonly url: string }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'none' };

const isPipeUrl = (url: string | undefined): boolean => url !== undefined && /^pipe:/i.test(url);

function busPlan(url: string | undefined, bus: SupervisorBus | false | undefined): BusPlan {
  if (url !== undefined && (typeof url !== 'string' || url === '')) {
    throw new TypeError('Invalid supervisor option: url must be a non-empty string');
  }
  if (bus !== undefined && bus !== false && (typeof bus !== 'object' || bus === null || typeof bus.publish !== 'function')) {
    throw new TypeError('Invalid supervisor option: bus must have a publish() method, or be false');
  }
  if (url !== undefined && !isPipeUrl(url)) return { kind: 'url', url };
  if (bus === false) {
    if (url !== undefined) throw new RangeError(`Invalid supervisor option: url=${url} needs a bus (bus=false)`);
    return { kind: 'none' };
  }
  if (bus && isPipeUrl(bus.url) && typeof bus.spawn === 'function') return { kind: 'given-pipe', url: bus.url! };
  if (bus && url === undefined) return bus.url ? { kind: 'url', url: bus.url } : { kind: 'none' };
  const own = url ?? 'pipe:';
  try {
    checkPipeUrl(own);
  } catch (err) {
    throw new RangeError(`Invalid supervisor option: url: ${(err as Error).message}`);
  }
  return { kind: 'own-pipe', url: own };
}

/** True for `node`, `nodejs` (by name or path) and this process's own Node binary. */
export function isNodeCommand(command: string): boolean {
  return command === process.execPath || ['node', 'nodejs'].includes(basename(command));
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function num(value: unknown, field: string, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`Invalid supervisor option: ${field} must be a number: ${field}=${JSON.stringify(value)}`);
  }
  if (value < min || (integer && !Number.isInteger(value))) {
    throw new RangeError(`Invalid supervisor option: ${field} must be ${integer ? 'an integer ' : ''}>= ${min}: ${field}=${value}`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`Invalid supervisor option: ${field} must be one of ${allowed.join(', ')}: ${field}=${JSON.stringify(value)}`);
  }
  return value as T;
}

function strings(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new TypeError(`Invalid supervisor option: ${field} must be an array of strings`);
  }
  return [...value] as string[];
}

function record(value: unknown, field: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)
    || Object.values(value).some((v) => typeof v !== 'string')) {
    throw new TypeError(`Invalid supervisor option: ${field} must be an object of strings`);
  }
  return { ...(value as Record<string, string>) };
}

function child(spec: ChildSpec, index: number, graceMs: number): ResolvedChild {
  const at = `children[${index}]`;
  if (typeof spec !== 'object' || spec === null) throw new TypeError(`Invalid supervisor option: ${at} must be an object`);
  if (typeof spec.name !== 'string' || !NAME.test(spec.name)) {
    throw new TypeError(`Invalid supervisor option: ${at}.name must be 1-64 of [A-Za-z0-9_-]: name=${JSON.stringify(spec.name)}`);
  }
  if (typeof spec.command !== 'string' || spec.command === '') {
    throw new TypeError(`Invalid supervisor option: ${at}.command must be a non-empty string: child=${spec.name}`);
  }
  if (spec.cwd !== undefined && typeof spec.cwd !== 'string') throw new TypeError(`Invalid supervisor option: ${at}.cwd must be a string`);
  for (const flag of ['heartbeat', 'autoHeartbeat'] as const) {
    if (spec[flag] !== undefined && typeof spec[flag] !== 'boolean') throw new TypeError(`Invalid supervisor option: ${at}.${flag} must be a boolean`);
  }
  const heartbeat = spec.heartbeat ?? true;
  return {
    name: spec.name,
    command: spec.command,
    args: strings(spec.args, `${at}.args`),
    env: record(spec.env, `${at}.env`),
    cwd: spec.cwd,
    restart: oneOf(spec.restart, `${at}.restart`, ['permanent', 'transient', 'temporary'] as const, 'permanent'),
    heartbeat,
    autoHeartbeat: spec.autoHeartbeat ?? (heartbeat && isNodeCommand(spec.command)),
    stdout: oneOf(spec.stdout, `${at}.stdout`, ['inherit', 'stderr', 'ignore'] as const, 'inherit'),
    graceMs: num(spec.graceMs, `${at}.graceMs`, graceMs, 0),
  };
}

/** Fills in defaults and validates; throws TypeError / RangeError naming the bad field. */
export function resolveOptions(options: SupervisorOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid supervisor options: expected an object');
  if (!Array.isArray(options.children)) throw new TypeError('Invalid supervisor option: children must be an array');
  const name = options.name ?? 'supervisor';
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`Invalid supervisor option: name must be 1-64 of [A-Za-z0-9_-]: name=${JSON.stringify(name)}`);
  }
  const graceMs = num(options.graceMs, 'graceMs', 5000, 0);
  const children = options.children.map((c, i) => child(c, i, graceMs));
  const seen = new Set<string>();
  for (const c of children) {
    if (seen.has(c.name)) throw new RangeError(`Invalid supervisor option: duplicate child name: name=${c.name}`);
    seen.add(c.name);
  }
  const maxMs = num(options.backoff?.maxMs, 'backoff.maxMs', 10_000, 0);
  const periodMs = num(options.intensity?.periodMs, 'intensity.periodMs', 10_000, 1);
  return {
    name,
    children,
    strategy: oneOf(options.strategy, 'strategy', ['one-for-one', 'one-for-all'] as const, 'one-for-one'),
    intervalMs: num(options.heartbeat?.intervalMs, 'heartbeat.intervalMs', 1000, 10),
    threshold: num(options.heartbeat?.threshold, 'heartbeat.threshold', 3, 1, true),
    backoff: {
      initialMs: num(options.backoff?.initialMs, 'backoff.initialMs', 100, 0),
      maxMs,
      resetAfterMs: num(options.backoff?.resetAfterMs, 'backoff.resetAfterMs', Math.max(maxMs, periodMs), 0),
    },
    intensity: {
      maxRestarts: num(options.intensity?.maxRestarts, 'intensity.maxRestarts', 5, 0, true),
      periodMs,
    },
    plan: busPlan(options.url, options.bus),
    bus: options.bus || undefined,
    subreaper: options.subreaper ?? true,
  };
}
