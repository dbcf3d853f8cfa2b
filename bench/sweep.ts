/**
 * What one measurement may leave behind, removed once its process group is gone.
 *
 * Why: `measure()` kills a measurement's whole process group when it overruns its watchdog
 * (and a hub or raw server may die before its own `close()`), so a Unix socket, FIFO, key file
 * or shm entry named after that measurement can outlive it. A new unibus hub on the same URL
 * would sweep them, but every measurement has a URL of its own, so nothing else ever would.
 * Names are `unibus-bench-<id>…` under the temp dir (see cases.ts, links/net-msgpackr.ts) and
 * `unibus-shm.unibus-bench-<id>~…` in /dev/shm (the shm transport's names).
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

/** Removes every file the measurement `id` (`<pid>-<n>`) named; call after its processes ended. */
export function sweepMeasurement(id: string): void {
  sweepDir(tmpdir(), `unibus-bench-${id}`);
  sweepDir('/dev/shm', `unibus-shm.unibus-bench-${id}`);
}
