/**
 * Which JavaScript runtime runs us, and which native features it lacks. unibus runs on Node,
 * Deno (through its Node compatibility and N-API) and Bun; the kernel transports need two things
 * from the runtime beyond koffi's plain calls, and not every runtime has them:
 * - `fd-poll`: libuv readiness polling of an fd through koffi (`uv_poll`), used to wait for a
 *   FIFO handshake or a process's pidfd without parking a thread;
 * - `fd-streams`: `net.Socket({ fd })` over a pipe or FIFO fd.
 * Node and Deno have both (Deno's `uv_poll` is an emulation with other lifetimes: fd-poll.ts
 * hides the difference). Bun 1.x has neither: its N-API panics on `uv_poll_init_socket`, and
 * its `net.Socket({ fd })` never reads from a pipe. A transport lists what it needs
 * (`Transport.requires`) and `transportFor()` refuses it up front with `UnsupportedError`, before
 * any kernel object exists; code that can do without (pid watching falls back to a timer) asks
 * {@link runtimeHas}.
 *
 * @example
 * ```ts
 * if (!runtimeHas('fd-poll')) console.log(`${runtimeName()} cannot poll fds`);
 * ```
 * @module
 */
import { UnsupportedError } from '../errors.js';

/** A native feature that some runtime may lack. */
export type RuntimeFeature = 'fd-poll' | 'fd-streams';

/** The runtimes unibus knows. */
export type RuntimeName = 'node' | 'deno' | 'bun';

const lacking: Record<RuntimeName, readonly RuntimeFeature[]> = {
  node: [],
  deno: [],
  bun: ['fd-poll', 'fd-streams'],
};

/** The runtime running this process. */
export function runtimeName(): RuntimeName {
  if ('Deno' in globalThis) return 'deno';
  if (process.versions.bun !== undefined) return 'bun';
  return 'node';
}

/** The runtime's name and version, e.g. `bun 1.4.5`. */
export function runtimeLabel(): string {
  const name = runtimeName();
  const version = name === 'deno'
    ? (globalThis as { Deno?: { version?: { deno?: string } } }).Deno?.version?.deno
    : name === 'bun' ? process.versions.bun : process.versions.node;
  return `${name} ${version ?? '?'}`;
}

/** True when this runtime has `feature`. */
export function runtimeHas(feature: RuntimeFeature): boolean {
  return !lacking[runtimeName()].includes(feature);
}

const described: Record<RuntimeFeature, string> = {
  'fd-poll': 'libuv polling of an fd through koffi (uv_poll)',
  'fd-streams': 'net.Socket over a pipe or FIFO fd',
};

/**
 * Throws `UnsupportedError` naming the runtime and the missing feature when this runtime lacks
 * `feature`; `scheme` names the transport that needs it.
 */
export function requireRuntimeFeature(feature: RuntimeFeature, scheme?: string): void {
  if (runtimeHas(feature)) return;
  const who = scheme ? `${scheme}:// needs` : 'this needs';
  throw new UnsupportedError(`${who} ${described[feature]} (${feature}), which ${runtimeLabel()} does not provide`);
}
