/**
 * Who holds a lock on a file, with pids. `F_OFD_GETLK` and `/proc/locks` report pid -1 for OFD
 * locks (they belong to an open file description, not a process), but `/proc/<pid>/fdinfo/<fd>`
 * lists the locks held through that descriptor. So the holders are found by scanning the
 * fdinfo of the processes this user may read: a diagnostic (cost grows with the number of open
 * descriptors on the machine), never a hot path, and never a liveness proof (pids are reused).
 * @module
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import type { LockKind } from '../native/locks.js';

/** One lock held on a file, as the kernel lists it. */
export interface LockHolder {
  readonly pid: number;
  /** The descriptor of `pid` through which the lock is held. */
  readonly fd: number;
  readonly kind: LockKind;
  /** `OFDLCK` (open file description), `POSIX` (classic fcntl) or `FLOCK`. */
  readonly type: string;
  readonly start: number;
  /** Last byte locked, or `Infinity` for "to the end of the file". */
  readonly end: number;
}

/** The `MAJ:MIN:INO` key the kernel prints for a file (hex device numbers, decimal inode). */
function fileKey(dev: number, ino: number): string {
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
}

// "lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:2146391 0 EOF"
const LOCK_LINE = /^lock:\s+\d+:\s+(\S+)\s+\S+\s+(READ|WRITE)\s+-?\d+\s+(\S+)\s+(\d+)\s+(\d+|EOF)/;

/**
 * Lists the processes (readable by this user) that hold locks on `path`, with the range and
 * kind of each lock.
 *
 * @example
 * ```ts
 * for (const h of await lockHolders('/var/lib/app/db.lock')) console.log(h.pid, h.kind);
 * ```
 */
export async function lockHolders(path: string): Promise<LockHolder[]> {
  const st = await stat(path);
  const key = fileKey(st.dev, st.ino);
  const holders: LockHolder[] = [];
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  for (const pidName of pids) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${pidName}/fdinfo`);
    } catch {
      continue; // gone, or another user's process
    }
    for (const fdName of fds) {
      let info: string;
      try {
        info = await readFile(`/proc/${pidName}/fdinfo/${fdName}`, 'latin1');
      } catch {
        continue;
      }
      if (!info.includes(key)) continue;
      for (const line of info.split('\n')) {
        const m = LOCK_LINE.exec(line);
        if (!m || m[3] !== key) continue;
        holders.push({
          pid: Number(pidName),
          fd: Number(fdName),
          kind: m[2] === 'WRITE' ? 'exclusive' : 'shared',
          type: m[1]!,
          start: Number(m[4]),
          end: m[5] === 'EOF' ? Infinity : Number(m[5]),
        });
      }
    }
  }
  return holders;
}
