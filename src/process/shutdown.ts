/**
 * Graceful shutdown for hubs and the CLI: on the first SIGINT or SIGTERM, run every registered
 * closer (buses, transports, children) and exit 0; on a second signal, exit at once.
 *
 * @example
 * ```ts
 * const bus = await Bus.listen(url);
 * onShutdown(() => bus.close());
 * ```
 * @module
 */

import { signals } from './signals.js';

type Closer = () => unknown | Promise<unknown>;

/** Per-process shutdown state (signals are per process, so this is too). */
const closers: Closer[] = [];
let installed = false;
let shuttingDown = false;

/** Registers `close` to run on shutdown (in reverse order of registration). Returns an unregister function. */
export function onShutdown(close: Closer): () => void {
  closers.push(close);
  install();
  return () => {
    const i = closers.indexOf(close);
    if (i >= 0) closers.splice(i, 1);
  };
}

/** Runs every closer (newest first), then exits with `code`. Safe to call more than once. */
export async function shutdown(code = 0): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        process.stderr.write(`shutdown: ${(err as Error).message}\n`);
      }
    }
  }
  process.exit(code);
}

function install(): void {
  if (installed) return;
  installed = true;
  // Standard signals coalesce (docs/signals.md): a second signal is "exit now" only when it
  // arrives after the first was handled, which is what a user pressing Ctrl-C twice does.
  signals('SIGINT', 'SIGTERM').subscribe(({ signal }) => {
    if (shuttingDown) process.exit(signal === 'SIGINT' ? 130 : 143);
    void shutdown(0);
  });
}
