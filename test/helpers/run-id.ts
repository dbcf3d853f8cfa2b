/**
 * Per-run names: every kernel object and path a test makes carries the run prefix, so runs never
 * collide and test/run.mjs can fail a run that leaves anything behind.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
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
  return mkdtempSync(join(base, `${label}-`));
}
