/** Removes a test's private directory, and the run's /tmp base once no test uses it any more. */
import { rmSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function removeTmp(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(dirname(dir));
  } catch {
    // another test file still has its directory there; the last one removes the base
  }
}
