/**
 * Leftovers of dead hubs, recognised by the transports' own conventions: a sysvmq rendezvous
 * queue (it holds the hub's INFO, read without removing it) whose liveness lock nobody holds,
 * with its wake queue and the private queues it handed out; /dev/shm entries `unibus-shm.<name>~…`
 * whose hub liveness name (an abstract socket) nobody holds; wake queues of processes that are
 * gone. Only this user's objects are looked at; nothing is removed (each finding says how).
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { DEFAULT_MSGMAX, IPC_NOWAIT, MSG_COPY, MSG_NOERROR, MsgBuffer, msgReceive } from '../../native/sysv-msg.js';
import { LivenessLock } from '../../sync/liveness-lock.js';
import { readInfo } from '../../transports/sysvmq/rendezvous.js';
import { decodeHello, RV_HELLO, RV_RECORD_BASE } from '../../transports/sysvmq/wire.js';
import { deadWakeQueues, isWakeKey, wakeKeyOf } from '../../transports/sysvmq/wake-key.js';
import { fail, ok, type Finding } from './finding.js';

const SHM_PREFIX = 'unibus-shm.';

const uid = (): number => process.getuid?.() ?? 0;

/** Abstract socket names bound now (`@name`, from /proc/net/unix): the unix:// and shm:// hub liveness names. */
export function boundAbstractNames(): Set<string> {
  const names = new Set<string>();
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n')) {
      const path = line.trim().split(/\s+/)[7];
      // Names are shown with NULs as '@'; Node binds the whole sun_path, so they end in padding.
      if (path?.startsWith('@')) names.add(path.slice(1).replace(/@+$/, ''));
    }
  } catch { /* no /proc/net/unix: treated as no live hub */ }
  return names;
}

/** The abstract liveness name of a unix:// socket path or shm:// hub (as src/transports/unix/hub-liveness.ts makes it). */
export function livenessNameOf(path: string): string {
  return `unibus-hub-${uid()}-${createHash('sha256').update(path).digest('hex').slice(0, 32)}`;
}

interface QueueRow { key: number; msqid: number; uid: number; qnum: number }

function queues(): QueueRow[] {
  try {
    return readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n').slice(1).map((l) => {
      const f = l.trim().split(/\s+/).map(Number);
      return { key: f[0]!, msqid: f[1]!, qnum: f[4]!, uid: f[7]! };
    });
  } catch {
    return [];
  }
}

/**
 * Private queue ids recorded in a rendezvous queue (read without removing anything), and the wake
 * queues of clients that died while their HELLO waited there (a next hub removes those too).
 */
function recordedQueues(msqid: number, qnum: number): number[] {
  const buf = new MsgBuffer(DEFAULT_MSGMAX);
  const ids: number[] = [];
  for (let pos = 0; pos < qnum; pos++) {
    const n = msgReceive(msqid, buf, pos, IPC_NOWAIT | MSG_COPY | MSG_NOERROR);
    if (n < 0) break;
    if (buf.type >= RV_RECORD_BASE) ids.push(buf.type - RV_RECORD_BASE);
    if (buf.type !== RV_HELLO) continue;
    const hello = decodeHello(buf.text.subarray(0, n));
    if (hello !== null && !existsSync(`/proc/${hello.pid}`)) ids.push(hello.wakeQueue);
  }
  return ids;
}

/** A dead sysvmq hub: its rendezvous queue first, then the queues it left (all existing now). */
export interface DeadSysvmqHub {
  readonly what: string;
  readonly queues: readonly number[];
}

/**
 * sysvmq hubs of this user that are dead, with every queue they left; `only` keeps those whose
 * description contains it. `live` counts the live hubs passed over.
 */
export function deadSysvmqHubs(only?: string): { dead: DeadSysvmqHub[]; live: number } {
  const dead: DeadSysvmqHub[] = [];
  const rows = queues();
  const exists = new Set(rows.map((r) => r.msqid));
  let live = 0;
  for (const q of rows) {
    if (q.uid !== uid() || q.key === 0 || isWakeKey(q.key)) continue;
    const info = readInfo(q.msqid);
    if (info === null) continue; // not a unibus rendezvous queue
    const what = `sysvmq queue msqid=${q.msqid} key=0x${(q.key >>> 0).toString(16)} of the hub of ${info.livenessPath} (pid ${info.hubPid})`;
    if (only !== undefined && !what.includes(only)) continue;
    if (LivenessLock.isHeld(info.livenessPath)) { live++; continue; }
    const extra = [info.wakeQueue, ...recordedQueues(q.msqid, q.qnum)].filter((id) => id >= 0 && exists.has(id));
    dead.push({ what, queues: [...new Set([q.msqid, ...extra])] }); // a wake queue may be recorded too
  }
  return { dead, live };
}

/** sysvmq rendezvous queues of this user whose hub is dead; `only` keeps those whose description contains it. */
export function sysvmqLeftovers(only?: string): Finding[] {
  const { dead, live } = deadSysvmqHubs(only);
  const out = dead.map((h) => fail(`${h.what}: the hub is dead, ${h.queues.length} queue(s) left`,
    `start and stop a hub on its URL (it removes them), or: ipcrm ${h.queues.map((id) => `-q ${id}`).join(' ')}`));
  if (out.length === 0) out.push(ok(`no sysvmq leftovers${only !== undefined ? ` matching "${only}"` : ''} (${live} live hub(s))`));
  return out;
}

/**
 * Wake queues (one per sysvmq process, key 0x400000 + pid) of this user's processes that are
 * gone; `only` keeps those whose description contains it. The next process of this user that
 * uses sysvmq removes them.
 */
export function wakeQueueLeftovers(only?: string): Finding[] {
  const out = deadWakeQueues().map((q) => `sysvmq wake queue msqid=${q.msqid} key=0x${wakeKeyOf(q.pid).toString(16)} of pid ${q.pid}`)
    .filter((what) => only === undefined || what.includes(only))
    .map((what) => fail(`${what}: the process is gone`, `any process of this user that uses sysvmq removes it when it starts, or: ipcrm -q ${what.split('msqid=')[1]!.split(' ')[0]}`));
  if (out.length === 0) out.push(ok(`no wake queues of dead processes${only !== undefined ? ` matching "${only}"` : ''}`));
  return out;
}

/** /dev/shm entries of shm:// hubs that are dead; `only` keeps names that contain it. */
export function shmLeftovers(only?: string): Finding[] {
  let entries: string[];
  try {
    entries = readdirSync('/dev/shm');
  } catch {
    return [];
  }
  const byHub = new Map<string, string[]>();
  for (const e of entries) {
    if (!e.startsWith(SHM_PREFIX) || !e.includes('~')) continue;
    if (only !== undefined && !e.includes(only)) continue;
    const name = e.slice(SHM_PREFIX.length, e.indexOf('~'));
    byHub.set(name, [...(byHub.get(name) ?? []), e]);
  }
  const bound = boundAbstractNames();
  const out: Finding[] = [];
  let live = 0;
  for (const [name, files] of byHub) {
    if (bound.has(livenessNameOf(`/dev/shm/${SHM_PREFIX}${name}~hub`))) { live++; continue; }
    out.push(fail(`shm://${name}: the hub is dead, ${files.length} entr${files.length === 1 ? 'y' : 'ies'} left in /dev/shm (${files.slice(0, 3).join(', ')}${files.length > 3 ? ', …' : ''})`,
      `start and stop a hub on shm://${name} (it sweeps them), or: rm '/dev/shm/${SHM_PREFIX}${name}~'*`));
  }
  if (out.length === 0) out.push(ok(`no shm leftovers in /dev/shm${only !== undefined ? ` matching "${only}"` : ''} (${live} live hub(s))`));
  return out;
}
