/**
 * The spool's directories must be this user's own: a directory another user owns, or one anyone
 * else may write to (a pre-created world-writable `/tmp/app` spool), would let them plant or
 * swap channels, logs and locks under the hub. Checked by the hub and by every client, for the
 * spool directory and its `channels/` directory, with the ownership check every transport uses
 * (shared/ownership.ts), before anything in them is used or made.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { isSystemError } from '../../errors.js';
import { checkUrlDir } from '../shared/ownership.js';
import { channelsDir } from './channel-layout.js';

/**
 * Makes the spool's directories (0700) when missing, and checks both are this user's alone:
 * `channels/` is made only once the spool directory passed, so nothing is ever made inside a
 * directory that is not ours (or through a symlink in its place).
 */
export function prepareSpoolDir(dir: string, url: string): void {
  makeDir(dir, true);
  checkUrlDir(dir, url);
  const channels = channelsDir(dir);
  makeDir(channels, false);
  checkUrlDir(channels, url);
}

/** mkdir 0700; something already there is left for the check to judge. */
function makeDir(path: string, recursive: boolean): void {
  try {
    mkdirSync(path, { recursive, mode: 0o700 });
  } catch (err) {
    if (!isSystemError(err, 'EEXIST')) throw err;
  }
}
