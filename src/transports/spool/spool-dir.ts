/**
 * The spool's directories must be this user's own: a directory another user owns, or one anyone
 * else may write to (a pre-created world-writable `/tmp/app` spool), would let them plant or
 * swap channels, logs and locks under the hub. Checked by the hub and by every client, for the
 * spool directory and its `channels/` directory, before anything in them is used.
 * (A shared ownership check for every transport may replace this one.)
 * @module
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { InvalidUrlError, PermissionDeniedError } from '../../errors.js';
import { channelsDir } from './channel-layout.js';

/** Refuses `path` unless it is a real directory (not a symlink) of this user that only it may write. */
export function checkOwnDir(path: string, url: string): void {
  const st = lstatSync(path);
  if (!st.isDirectory()) throw new InvalidUrlError(url, `spool path exists and is not a directory: path=${path}`);
  const uid = process.getuid?.();
  const mode = `0${(st.mode & 0o7777).toString(8)}`;
  if (uid !== undefined && st.uid !== uid) {
    throw new PermissionDeniedError(`spool directory owned by uid=${st.uid}, not by this user (uid=${uid}): path=${path} mode=${mode}`);
  }
  if ((st.mode & 0o022) !== 0) {
    throw new PermissionDeniedError(`spool directory writable by group or others: path=${path} owner uid=${st.uid} mode=${mode} (use chmod 0700)`);
  }
}

/** Makes the spool's directories (0700) when missing, and checks both are this user's alone. */
export function prepareSpoolDir(dir: string, url: string): void {
  mkdirSync(channelsDir(dir), { recursive: true, mode: 0o700 });
  checkOwnDir(dir, url);
  checkOwnDir(channelsDir(dir), url);
}
