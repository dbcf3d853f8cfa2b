/**
 * The key of a process's wake queue: `WAKE_KEY_BASE + pid`, so that a wake queue left by a
 * killed process can be found and removed by whoever comes next.
 *
 * Why not IPC_PRIVATE: System V queues outlive their process. A hub removes the wake queue of a
 * client it served when that client dies, and a next hub removes a dead hub's; but a client
 * killed after its hub had gone (services stopped in any order, a group SIGKILLed) left an
 * anonymous queue nobody could attribute, for ever. With the pid in the key, every process that
 * starts using sysvmq first removes this user's wake queues whose process is gone
 * ({@link sweepDeadWakeQueues}), and `unibus doctor` lists them.
 *
 * The range 0x400000-0x7fffff (pid_max is at most 2^22) has a zero top byte, which ftok never
 * makes (its proj must be non-zero), and literal `sysvmq://0x…` keys in it are refused, so no
 * unibus rendezvous can sit there. A key in the range taken by anything else (another user's
 * queue, a stale one we may not remove) makes the process fall back to IPC_PRIVATE: a wake queue
 * is never shared with, or adopted from, somebody else (IPC_EXCL).
 * @module
 */
import { readFileSync } from 'node:fs';
import { Errno } from '../../native/errno.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, msgGet, msgGetRaw, msgRemove, msgStat } from '../../native/sysv-msg.js';
import { procStatSync, runs } from '../../process/proc-stat.js';

/** First key of the wake-queue range; a process's key is this plus its pid. */
export const WAKE_KEY_BASE = 0x400000;
/** One past the last key of the range (pids are below 2^22). */
export const WAKE_KEY_END = 0x800000;

const myUid = (): number => process.getuid?.() ?? 0;

/** The wake-queue key of `pid`. */
export function wakeKeyOf(pid: number): number {
  return WAKE_KEY_BASE + pid;
}

/** True for keys in the wake-queue range (a literal sysvmq URL may not use them). */
export function isWakeKey(key: number): boolean {
  return key > WAKE_KEY_BASE && key < WAKE_KEY_END;
}

/**
 * Creates this process's wake queue (owner-only) at its pid's key. A queue already there, ours and
 * made before this process started, is a dead process's whose pid we now have: it is removed and
 * the key reused. One made since is another thread's of this process (a worker has a waker of its
 * own): it is left alone, as is anybody else's, and this waker's queue is private.
 */
export function createWakeQueue(): number {
  const key = wakeKeyOf(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = msgGetRaw(key, IPC_CREAT | IPC_EXCL | 0o600);
    if (id >= 0) return id;
    if (id !== -Errno.EEXIST) break; // e.g. ENOSPC: let the private attempt below say so
    const stale = msgGetRaw(key, 0);
    const st = stale >= 0 ? msgStat(stale) : null;
    if (st === null || st.uid !== myUid() || st.cuid !== myUid()) break;
    const started = processStart(process.pid, bootTime());
    if (started === undefined || st.ctime + 1 >= started) break;
    msgRemove(stale);
  }
  return msgGet(IPC_PRIVATE, IPC_CREAT | 0o600);
}

/** A wake queue of this user whose process is gone. */
export interface DeadWakeQueue {
  readonly msqid: number;
  readonly pid: number;
}

/**
 * This user's wake queues whose process is gone: no such pid, or the pid now belongs to a
 * process started after the queue was made (pids are reused). Read from /proc/sysvipc/msg.
 */
export function deadWakeQueues(): DeadWakeQueue[] {
  let rows: string[];
  try {
    rows = readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n').slice(1);
  } catch {
    return [];
  }
  const bootSec = bootTime();
  const dead: DeadWakeQueue[] = [];
  for (const row of rows) {
    // key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
    const f = row.trim().split(/\s+/).map(Number);
    const key = f[0]!;
    if (!isWakeKey(key) || f[7] !== myUid() || f[9] !== myUid()) continue;
    const pid = key - WAKE_KEY_BASE;
    const started = processStart(pid, bootSec);
    // ctime is when the queue was made (or its mode last set): always after its process started.
    // Whole seconds on both sides: a start within a second of ctime counts as the maker.
    if (started === undefined || started > f[13]! + 1) dead.push({ msqid: f[1]!, pid });
  }
  return dead;
}

/** Removes {@link deadWakeQueues}; returns how many went. */
export function sweepDeadWakeQueues(): number {
  let removed = 0;
  for (const q of deadWakeQueues()) {
    // Look again just before: the queue must still be this user's, at the same key.
    const st = msgStat(q.msqid);
    if (st !== null && st.key === wakeKeyOf(q.pid) && st.uid === myUid() && msgRemove(q.msqid)) removed++;
  }
  return removed;
}

/** Boot time, epoch seconds (/proc/stat btime). */
function bootTime(): number {
  try {
    return Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** When `pid` started, epoch seconds; undefined when there is no such process (or a zombie). */
function processStart(pid: number, bootSec: number): number | undefined {
  const stat = procStatSync(pid);
  return runs(stat) ? bootSec + stat.startTicks / 100 : undefined;
}
