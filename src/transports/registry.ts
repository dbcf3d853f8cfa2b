/**
 * URL scheme → transport. A transport module is imported only when its scheme is first used,
 * so a `unix://` user never loads koffi or any other backend. The registry knows only
 * transports; which fabric serves a URL (`nats:` or a local transport) is decided in `bus/`.
 *
 * @example
 * ```ts
 * const transport = await transportFor('unix:///run/app.sock');
 * const listener = await transport.listen('unix:///run/app.sock');
 * ```
 * @module
 */
import { InvalidUrlError, UnsupportedError } from '../errors.js';
import { requireRuntimeFeature } from '../native/runtime.js';
import type { Transport } from './transport.js';

type Loader = () => Promise<Transport>;

/** Built-in transports, loaded on first use. One line per transport. */
const builtins: Record<string, Loader> = {
  unix: async () => (await import('./unix/unix-transport.js')).unixTransport,
  memory: async () => (await import('./memory/memory-transport.js')).memoryTransport,
  pipe: async () => (await import('./pipe/pipe-transport.js')).pipeTransport,
  fifo: async () => (await import('./fifo/fifo-transport.js')).fifoTransport,
  sysvmq: async () => (await import('./sysvmq/sysvmq-transport.js')).sysvmqTransport,
  shm: async () => (await import('./shm/shm-transport.js')).shmTransport,
  file: async () => (await import('./spool/spool-transport.js')).spoolTransport,
};

const registered = new Map<string, Transport>();

/** The scheme of a URL without its colon (`unix` for `unix:///x.sock`). */
export function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (!m) throw new InvalidUrlError(url, 'expected a URL such as unix:///path/app.sock');
  return m[1]!.toLowerCase();
}

/** Schemes with a local transport (registered or built in). */
export function transportSchemes(): string[] {
  return [...new Set([...Object.keys(builtins), ...registered.keys()])].sort();
}

/** Adds or replaces a transport for its scheme (for third-party backends). */
export function registerTransport(transport: Transport): void {
  registered.set(transport.scheme, transport);
}

/** The transport serving `url`; rejects with `InvalidUrlError` for an unknown scheme. */
export async function transportFor(url: string): Promise<Transport> {
  const transport = await loadTransport(url);
  for (const feature of transport.requires ?? []) requireRuntimeFeature(feature, transport.scheme);
  return transport;
}

async function loadTransport(url: string): Promise<Transport> {
  const scheme = schemeOf(url);
  const found = registered.get(scheme);
  if (found) return found;
  const load = builtins[scheme];
  if (!load) {
    throw new InvalidUrlError(url, `no transport for scheme=${scheme} (known: ${transportSchemes().join(', ')}, nats)`);
  }
  // The kernel transports are Linux IPC (abstract sockets, pipe2, System V, /dev/shm).
  if (process.platform !== 'linux' && scheme !== 'memory') {
    throw new UnsupportedError(`${scheme}:// needs Linux; this is platform=${process.platform} (memory:// and nats:// work everywhere)`);
  }
  const transport = await load();
  registered.set(scheme, transport);
  return transport;
}
