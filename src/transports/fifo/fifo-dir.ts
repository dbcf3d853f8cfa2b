/**
 * The hub's directory for `fifo:`: created 0700, cleaned of a dead hub's leftovers, swept of
 * dead clients' pairs, removed on close. Only the holder of the liveness lock calls these.
 * Also the one checked way to open a FIFO in it.
 * @module
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidUrlError, PermissionDeniedError, isSystemError } from '../../errors.js';
import { closeFd, openFd, O, statFd } from '../../native/fds.js';
import { checkUrlDir } from '../shared/ownership.js';
import { isAlive } from '../../native/process.js';
import type { BackoffOptions } from '../../sync/backoff.js';
import { isProtocolFile, pidOfClientFile } from './fifo-names.js';

const uid = (): number | undefined => process.getuid?.();

/** Retry delays of FIFO opens that fail with ENXIO or ENOENT (the other end not there yet): 2 ms doubling to 200 ms. */
export const OPEN_RETRY: BackoffOptions = { initial: 2, max: 200 };

/** Unlinks `path`, ignoring ENOENT (the other side may have unlinked it first). */
export function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if (!isSystemError(err, 'ENOENT')) throw err;
  }
}

/**
 * Checks that `dir` is a real directory owned by this user (not a symlink) and writable by no
 * other user (group write is allowed: a group-shared `mode`). Throws `UnsafePathError`.
 */
export function checkDir(dir: string, url: string): void {
  checkUrlDir(dir, url, { allowMode: 0o020 }); // ENOENT: no hub
}

/**
 * Makes `dir` (0700), or cleans what a dead hub left in it. Refuses a directory holding files
 * unibus did not make: a hub never deletes what it does not own.
 */
export function prepareDir(dir: string, url: string, mode: number): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if (!isSystemError(err, 'EEXIST')) throw err;
    checkDir(dir, url);
    const foreign = readdirSync(dir).filter((f) => !isProtocolFile(f));
    if (foreign.length > 0) {
      throw new InvalidUrlError(url, `directory holds files unibus did not make: path=${dir} files=${foreign.slice(0, 5).join(',')}`);
    }
    for (const f of readdirSync(dir)) unlinkQuiet(join(dir, f));
  }
  // umask may have narrowed mkdir's mode; a directory needs x to be usable.
  chmodSync(dir, mode);
}

/**
 * Removes client pairs whose process is gone and that no handshake or connection is using
 * (a client that died between mkfifo and announce). Returns the files removed.
 */
export function sweepDeadClients(dir: string, inUse: (file: string) => boolean): string[] {
  const removed: string[] = [];
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const f of files) {
    const pid = pidOfClientFile(f);
    if (pid === undefined || inUse(f) || pid === process.pid) continue;
    if (!isAlive(pid)) {
      unlinkQuiet(join(dir, f));
      removed.push(f);
    }
  }
  return removed;
}

/** Removes every protocol file and the directory itself (a foreign file keeps it, untouched). */
export function removeDir(dir: string): void {
  try {
    for (const f of readdirSync(dir)) if (isProtocolFile(f)) unlinkQuiet(join(dir, f));
    rmdirSync(dir);
  } catch (err) {
    if (!isSystemError(err, 'ENOENT') && !isSystemError(err, 'ENOTEMPTY')) throw err;
  }
}

/**
 * Opens a FIFO in a unibus directory: O_NONBLOCK | O_NOFOLLOW always, and only when it is a FIFO
 * owned by this user; the fd is checked to be the same file that was checked by path.
 */
export function openFifo(path: string, flags: number): number {
  const before = lstatSync(path);
  if (!before.isFIFO() || before.uid !== uid()) {
    throw new PermissionDeniedError(`not a FIFO owned by uid=${uid()}: path=${path}`);
  }
  const fd = openFd(path, flags | O.NONBLOCK | O.NOFOLLOW);
  const after = statFd(fd);
  if (!after.isFIFO() || after.ino !== before.ino || after.dev !== before.dev) {
    closeFd(fd);
    throw new PermissionDeniedError(`FIFO replaced while opening: path=${path}`);
  }
  return fd;
}
