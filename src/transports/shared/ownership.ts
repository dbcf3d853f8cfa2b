/**
 * Ownership and mode checks for every path a hub creates or adopts (the shm announce FIFO, the
 * fifo:// directory, the sysvmq key file, a unix:// socket left by a dead hub, the spool
 * directory). Another local user must not be able to plant an object there beforehand, neither
 * to make the hub fail in a confusing way (`EEXIST: mkfifo`) nor to have it use a path they
 * control. What is ours and stale (same uid; the caller holds the hub's liveness lock, so the
 * hub that made it is dead) is cleared so the hub can make it again.
 *
 * @example
 * ```ts
 * // before mkfifo(announce): a planted FIFO of another user is a typed error naming its owner
 * clearStale('/dev/shm/unibus-shm.app~announce', 'fifo');
 * // an existing directory must be a real one, ours, and writable by nobody else
 * checkOwned('/run/app', 'directory');
 * // the same for a directory a URL names (fifo:// dir, file:// spool), which must exist
 * checkUrlDir('/run/app', 'fifo:///run/app');
 * ```
 * @module
 */
import { lstatSync, readFileSync, rmdirSync, unlinkSync, type Stats } from 'node:fs';
import { InvalidUrlError, UnsafePathError, isSystemError } from '../../errors.js';

/** The kinds of filesystem objects a hub makes. */
export type PathKind = 'directory' | 'fifo' | 'file' | 'socket';

/** What {@link checkOwned} accepts besides "ours, of this kind, writable only by us". */
export interface OwnershipOptions {
  /** Permission bits of group and others that may be set (e.g. 0o020 for a group-shared dir). Default 0. */
  allowMode?: number;
  /** Also accept objects owned by root (uid 0): only root could have made them. Default false. */
  trustRoot?: boolean;
}

const KIND_TEST: Record<PathKind, (st: Stats) => boolean> = {
  directory: (st) => st.isDirectory(),
  fifo: (st) => st.isFIFO(),
  file: (st) => st.isFile(),
  socket: (st) => st.isSocket(),
};

/** This process's effective owner (what the kernel stamps on what we create). */
function myUid(): number {
  return process.geteuid?.() ?? process.getuid?.() ?? 0;
}

/** "uid=1001 (mallory)" where /etc/passwd knows the uid; the uid alone otherwise. */
export function describeOwner(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'latin1').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid) && name) return `uid=${uid} (${name})`;
    }
  } catch {
    // no passwd file: the number says enough
  }
  return `uid=${uid}`;
}

function kindOf(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isFile()) return 'a regular file';
  return 'a special file';
}

/**
 * Checks an existing object at `path` (never following a symlink): it must be of `kind`, owned
 * by this user (or root with `trustRoot`), and not writable by group or others beyond
 * `allowMode`. Returns its stats, or undefined when nothing is there. Throws `UnsafePathError`.
 */
export function checkOwned(path: string, kind: PathKind, options: OwnershipOptions = {}): Stats | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return undefined;
    throw err;
  }
  const me = myUid();
  if (!KIND_TEST[kind](st)) {
    throw new UnsafePathError(path, st.uid, st.mode, `expected a ${kind} but found ${kindOf(st)} owned by ${describeOwner(st.uid)}`);
  }
  if (st.uid !== me && !(options.trustRoot && st.uid === 0)) {
    throw new UnsafePathError(path, st.uid, st.mode,
      `${kind} owned by another user, ${describeOwner(st.uid)}, not by this one (uid=${me}): remove it or use another name`);
  }
  const unsafeBits = st.mode & 0o022 & ~(options.allowMode ?? 0);
  if (unsafeBits !== 0) {
    throw new UnsafePathError(path, st.uid, st.mode,
      `${kind} is writable by ${unsafeBits & 0o002 ? 'others' : 'its group'}, so another user could plant files in it: chmod go-w it`);
  }
  return st;
}

/**
 * Before a hub creates `path`: nothing there is fine; a stale object of ours and of `kind` is
 * removed (the caller holds the liveness lock: whoever made it is dead); anything else throws
 * `UnsafePathError` naming the path and its owner, and is left untouched. Directories are only
 * removed when empty (a hub never deletes what it does not know).
 */
export function clearStale(path: string, kind: PathKind, options: OwnershipOptions = {}): void {
  // An object we are about to delete may be open to others (a socket made mode 0666 to let them
  // connect): only its owner matters then; a directory's mode matters (others' files in it).
  if (!checkOwned(path, kind, kind === 'directory' ? options : { ...options, allowMode: 0o022 })) return;
  try {
    if (kind === 'directory') rmdirSync(path);
    else unlinkSync(path);
  } catch (err) {
    if (!isSystemError(err, 'ENOENT')) throw err;
  }
}

/**
 * `checkOwned(dir, 'directory')` for a directory a URL names (the fifo:// directory, the file://
 * spool and its channels), which must exist (ENOENT otherwise): something else at that path (a
 * file, a symlink) is the URL's mistake, `InvalidUrlError`; a directory that is not this user's
 * alone is `UnsafePathError`. Returns its stats.
 */
export function checkUrlDir(dir: string, url: string, options: OwnershipOptions = {}): Stats {
  if (!lstatSync(dir).isDirectory()) throw new InvalidUrlError(url, `path exists and is not a directory: path=${dir}`);
  return checkOwned(dir, 'directory', options)!;
}
