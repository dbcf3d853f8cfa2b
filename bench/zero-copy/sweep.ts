/**
 * What a zero-copy bench run may leave in /dev/shm, removed: every hub of the bench is named
 * `zcbench<pid>` (its rings, bells' segments and pools are `unibus-shm.zcbench<pid>~…`). A run
 * killed before its hub's close() (kill -9, a watchdog) leaves them where no later hub would
 * look, since every run has a name of its own. Each run sweeps its own names when it ends or is
 * interrupted, and the names of earlier runs whose process is gone when it starts.
 * @module
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { namesIn } from '../sweep.js';

const NAME = /^unibus-shm\.zcbench(\d+)~/;

/** True while process `pid` exists (EPERM: it exists, as someone else's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes this run's names and those of runs whose process is gone. */
export function sweepZeroCopyBench(dir = '/dev/shm'): void {
  for (const name of namesIn(dir)) {
    const m = NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || !alive(pid)) rmSync(join(dir, name), { force: true });
  }
}
