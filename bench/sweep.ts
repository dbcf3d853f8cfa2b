/**
 * What one measurement may leave behind, removed once its process group is gone.
 *
 * Why: `measure()` kills a measurement's whole process group when it overruns its watchdog
 * (and a hub or raw server may die before its own `close()`), so a Unix socket, FIFO, key file
 * or shm entry named after that measurement can outlive it. A new unibus hub on the same URL
 * would sweep them, but every measurement has a URL of its own, so nothing else ever would.
 * Names are `unibus-bench-<id>…` under the temp dir (see cases.ts, links/net-msgpackr.ts) and
 * `unibus-shm.unibus-bench-<id>~…` in /dev/shm (the shm transport's names), and the System V
 * queues of a sysvmq hub keyed by `unibus-bench-<id>.key`.
 * @module
 */
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The names in `dir`, or none where it cannot be read (nothing to sweep there). */
export function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sweepDir(dir: string, prefix: string): void {
  for (const name of namesIn(dir)) {
    // `<id>` ends at a non-digit: measurement 1 must not take measurement 12's files.
    if (name.startsWith(prefix) && !/^\d/.test(name.slice(prefix.length))) {
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * Removes everything the measurement `id` (`<pid>-<n>`) named; call after its processes ended.
 * A sysvmq hub that died leaves queues in the kernel, not only its key file: a hub started and
 * stopped on its URL removes them (what a next hub does, docs/sysvmq.md) before the file goes.
 */
export function sweepMeasurement(id: string): Promise<void> {
  // One sweep per id at a time: a signal's sweep and the run loop's may overlap, and two
  // sweeping hubs on one key would race (the loser's hub would be left listening at exit).
  let sweep = sweeps.get(id);
  if (sweep === undefined) {
    sweep = sweepNow(id).finally(() => sweeps.delete(id));
    sweeps.set(id, sweep);
  }
  return sweep;
}

const sweeps = new Map<string, Promise<void>>();

async function sweepNow(id: string): Promise<void> {
  const prefix = `unibus-bench-${id}`;
  const keyFile = join(tmpdir(), `${prefix}.key`);
  if (namesIn(tmpdir()).includes(`${prefix}.key`)) {
    try {
      const { transportFor } = await import('../src/transports/registry.js');
      const url = `sysvmq://${keyFile}`;
      const listener = await (await transportFor(url)).listen(url);
      await listener.close();
    } catch (err) {
      process.stderr.write(`bench: could not sweep the sysvmq queues of ${keyFile}: ${(err as Error).message}\n`);
    }
  }
  sweepDir(tmpdir(), prefix);
  sweepDir('/dev/shm', `unibus-shm.${prefix}`);
}
