/**
 * Per-run names: every kernel object and path a test makes carries the run prefix, so runs never
 * collide and test/run.mjs can fail a run that leaves anything behind.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The run prefix (set by test/run.mjs; a fresh one when a file runs alone). */
export const runId: string = process.env.UNIBUS_TEST_RUN
  ?? (process.env.UNIBUS_TEST_RUN = `ut${process.pid.toString(36)}`);

let counter = 0;

/** A name unique to this run and call, safe for /dev/shm, sockets and keys: `<runId>-<label>-<n>`. */
export function uniqueName(label: string): string {
  counter += 1;
  return `${runId}-${label}-${process.pid.toString(36)}${counter}`;
}

/** A fresh private directory under /tmp whose name carries the run prefix (mode 0700). */
export function tmpDir(label: string): string {
  const base = join('/tmp', `unibus-${runId}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  if (made.length === 0) {
    // This process's own directories go at exit (plain files and empty dirs only): sockets and
    // FIFOs stay, so the runner reports them as leaks of the code under test. Other test files
    // share the base directory, so only what this process made is touched.
    process.on('exit', () => {
      for (const dir of made) {
        try { removeUnlessSpecial(dir); } catch { /* already gone */ }
      }
      try { rmdirSync(base); } catch { /* other files still use it, or it is gone */ }
    });
  }
  // Another test file's exit may remove the (then empty) base between our mkdir and mkdtemp:
  // make it again and retry (spool.test once failed with ENOENT here).
  for (let attempt = 1; ; attempt++) {
    try {
      const dir = mkdtempSync(join(base, `${label}-`));
      made.push(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === 5) throw err;
      mkdirSync(base, { recursive: true, mode: 0o700 });
    }
  }
}

const made: string[] = [];

/** Removes `dir` recursively unless it holds a socket or FIFO; returns true when removed. */
function removeUnlessSpecial(dir: string): boolean {
  let clean = true;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) clean = removeUnlessSpecial(p) && clean;
    else if (st.isSocket() || st.isFIFO()) clean = false;
    else rmSync(p, { force: true });
  }
  if (clean) rmSync(dir, { recursive: true, force: true });
  return clean;
}
