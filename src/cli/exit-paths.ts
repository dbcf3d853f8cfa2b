/**
 * The CLI's exit paths. A hub must outlive its stdout and stderr (`unibus hub URL | head -1`:
 * the reader goes away, the next write fails with EPIPE, and an unhandled stream error used to
 * kill the hub without its cleanup, leaving its socket), and every way out of the process must
 * run the registered closers (`onShutdown`), so no socket, FIFO or kernel object stays behind.
 * @module
 */
import { signals } from '../process/signals.js';
import { shutdown } from '../process/shutdown.js';

/** Errors of a write to an output whose reader has gone: the output is lost, the process goes on. */
const GONE_READER = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET']);

/**
 * Ignores EPIPE (and writes after it) on stdout and stderr, and turns an uncaught exception, an
 * unhandled rejection and SIGHUP into `shutdown()`: closers first, then exit. Call once, first.
 *
 * @example
 * ```ts
 * guardExitPaths();
 * const bus = await Bus.listen(url);
 * onShutdown(() => bus.close()); // runs on SIGINT/SIGTERM/SIGHUP and on a crash alike
 * ```
 */
export function guardExitPaths(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: Error & { code?: string }) => {
      if (!GONE_READER.has(err.code ?? '')) void fail(err);
    });
  }
  process.on('uncaughtException', (err) => void fail(err));
  process.on('unhandledRejection', (err) => void fail(err));
  // A closed terminal: leave as cleanly as on SIGTERM (128 + SIGHUP's number, 1). Node resets
  // inherited dispositions at start, so `nohup` gave no protection here before either.
  signals('SIGHUP').subscribe(() => onHangup());
}

/** What SIGHUP does: exit cleanly, unless a command made it mean "reload" (one signal, one meaning per process). */
let onHangup: () => void = () => void shutdown(129);

/**
 * Makes SIGHUP call `reload` instead of ending the command (the daemon convention, e.g. a hub
 * with a policy file).
 * @example
 * ```ts
 * reloadOnHangup(() => policy.reload());
 * ```
 */
export function reloadOnHangup(reload: () => void): void {
  onHangup = reload;
}

/**
 * Ends the command: waits until stdout and stderr have taken everything written (a pipe takes
 * large output asynchronously: exiting at once cut a 16 MiB JSON line short), then runs the
 * closers and exits with `code`.
 */
export async function finish(code: number): Promise<never> {
  await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve()); // called once every earlier write is flushed (or failed)
  })));
  return shutdown(code);
}

function fail(err: unknown): Promise<never> {
  try {
    process.stderr.write(`unibus: ${(err as Error)?.stack ?? String(err)}\n`);
  } catch {
    // stderr is gone too; the exit code still tells
  }
  return finish(1);
}
