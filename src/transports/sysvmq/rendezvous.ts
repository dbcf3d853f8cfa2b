/**
 * The rendezvous queue of one sysvmq address: creating it (IPC_EXCL, owner-only), reading the
 * hub's INFO without removing it (MSG_COPY), the records of handed-out private queues, and the
 * removal of a dead hub's leftovers by the next hub (the caller holds the liveness lock).
 * @module
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { Errno } from '../../native/errno.js';
import {
  DEFAULT_MSGMAX, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, MSG_COPY, MSG_NOERROR, MsgBuffer, ftok, msgGetRaw, msgReceive,
  msgRemove, msgSend, msgStat,
} from '../../native/sysv-msg.js';
import { HubRunningError, PermissionDeniedError, systemError } from '../../errors.js';
import { checkOwned } from '../shared/ownership.js';
import type { SysvmqAddress } from './url.js';
import { decodeHello, decodeInfo, encodeInfo, RV_HELLO, RV_INFO, RV_RECORD_BASE, type HubInfo } from './wire.js';
import { livenessHeld } from './liveness.js';
import { isWakeKey } from './wake-key.js';
import { procStat, runs } from '../../process/proc-stat.js';

/** How long a queue without INFO must stay untouched before it counts as a dead hub's unfinished one. */
const UNFINISHED_RECHECK_MS = 100;

/** How far into the queue a client looks for INFO (it is at position 0 unless garbage came first). */
const INFO_SCAN = 16;

function myUid(): number {
  return process.getuid?.() ?? 0;
}

/** What a hub writes into a key file it creates, so a later hub knows the file is unibus's to remove. */
const KEYFILE_MARK = 'unibus sysvmq key file: removed by the hub that serves it\n';

/**
 * The key of an address. With `create`, a missing key file is created (0600, marked); `ours` says
 * the file is a marked one, which the hub removes on close (a file the user made is left alone).
 */
export function keyOf(address: SysvmqAddress, create: boolean): { key: number; createdFile: boolean } {
  if (address.key !== undefined) return { key: address.key, createdFile: false };
  const file = address.keyfile!;
  let createdFile = false;
  if (create) {
    try {
      const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try { writeSync(fd, KEYFILE_MARK); } finally { closeSync(fd); }
      createdFile = true;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      // The key is the file's inode: a file another user can delete and remake is not a key.
      // Root's files are trusted (only root made them); the mode does not change the inode.
      const st = checkOwned(file, 'file', { trustRoot: true, allowMode: 0o022 });
      // A marked file was made by a hub that died: it is ours to remove as well.
      createdFile = st !== undefined && st.size === KEYFILE_MARK.length && readFileSync(file, 'utf8') === KEYFILE_MARK;
    }
  }
  return { key: ftok(file, address.proj), createdFile };
}

/** Reads the INFO message without removing it, or null when there is none (yet) or it is not ours. */
export function readInfo(queue: number): HubInfo | null {
  const buf = new MsgBuffer(DEFAULT_MSGMAX);
  for (let pos = 0; pos < INFO_SCAN; pos++) {
    const n = msgReceive(queue, buf, pos, IPC_NOWAIT | MSG_COPY | MSG_NOERROR);
    if (n < 0) return null; // ENOMSG past the end; EIDRM / EINVAL when removed
    if (buf.type === RV_INFO) return decodeInfo(buf.text.subarray(0, n));
  }
  return null;
}

/** Removes a private or wake queue if it still is one of ours (IPC_PRIVATE or a wake key, our uid). */
export function removeIfOurs(queue: number): void {
  if (queue < 0) return;
  const st = msgStat(queue);
  if (st && (st.key === 0 || isWakeKey(st.key)) && st.uid === myUid()) msgRemove(queue);
}

/** Posts a RECORD for a private queue handed out (a zero-byte message; the id is in the type). */
export function addRecord(rendezvous: number, queue: number): void {
  const msg = new MsgBuffer(0);
  msg.type = RV_RECORD_BASE + queue;
  // A full rendezvous queue only costs the crash-cleanup record of this queue.
  msgSend(rendezvous, msg, 0, IPC_NOWAIT);
}

/** Takes back the RECORD of a private queue (the queue is being removed normally). */
export function dropRecord(rendezvous: number, queue: number): void {
  msgReceive(rendezvous, new MsgBuffer(0), RV_RECORD_BASE + queue, IPC_NOWAIT | MSG_NOERROR);
}

/**
 * Creates the rendezvous queue for `key` (IPC_EXCL, `mode`) and posts INFO. A queue left by a dead
 * hub of this address is cleaned up first; the caller must hold the liveness lock of `address`.
 * Never removes a queue of another user, one without our INFO, or one whose hub is alive.
 */
export async function createRendezvous(address: SysvmqAddress, key: number, mode: number, info: HubInfo): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const id = msgGetRaw(key, IPC_CREAT | IPC_EXCL | (mode & 0o777));
    if (id >= 0) {
      const text = encodeInfo(info);
      const msg = new MsgBuffer(text.length);
      msg.type = RV_INFO;
      msg.text.set(text);
      const r = msgSend(id, msg, text.length, IPC_NOWAIT);
      if (r !== 0) {
        msgRemove(id);
        throw systemError('msgsnd', -r, `key=0x${(key >>> 0).toString(16)}`);
      }
      return id;
    }
    if (id === -Errno.EACCES) throw new PermissionDeniedError(`key 0x${(key >>> 0).toString(16)} belongs to a queue we may not use: url=${address.url}`);
    if (id !== -Errno.EEXIST) throw systemError('msgget', -id, `key=0x${(key >>> 0).toString(16)}`);
    await removeStale(address, key);
  }
  throw new HubRunningError(address.url, 'the rendezvous queue keeps reappearing');
}

/** Removes what a dead hub of `address` left: its rendezvous queue, wake queue and handed-out queues. */
async function removeStale(address: SysvmqAddress, key: number): Promise<void> {
  const hex = `0x${(key >>> 0).toString(16)}`;
  const id = msgGetRaw(key, 0);
  if (id < 0) return; // gone meanwhile: try creating again
  const st = msgStat(id);
  if (st === null) return;
  if (st.uid !== myUid()) {
    throw new HubRunningError(address.url, `key ${hex} is used by a queue of uid=${st.uid} (msqid=${id})`);
  }
  const info = readInfo(id);
  if (info === null) {
    if (await unfinished(id)) {
      msgRemove(id);
      return;
    }
    throw new HubRunningError(address.url, `key ${hex} holds a queue unibus did not make (msqid=${id}); remove it with: ipcrm -q ${id}`);
  }
  // Our own lock is held by us, so a hub of this address is dead. A different path means another
  // address whose key collides with ours (ftok keeps only some inode bits): never touch it live.
  if (info.livenessPath !== address.livenessPath && await livenessHeld(info.livenessPath)) {
    throw new HubRunningError(address.url, `key ${hex} is served by a live hub of ${info.livenessPath}`);
  }
  const buf = new MsgBuffer(DEFAULT_MSGMAX);
  for (;;) {
    const n = msgReceive(id, buf, 0, IPC_NOWAIT | MSG_NOERROR);
    if (n < 0) break;
    if (buf.type >= RV_RECORD_BASE) await removeIfUnread(buf.type - RV_RECORD_BASE);
    else if (buf.type === RV_HELLO) await removeDeadHelloWake(buf.text.subarray(0, n));
  }
  removeIfOurs(info.wakeQueue);
  msgRemove(id);
}

/**
 * A queue a hub of this address made and died before posting its INFO (killed between `msgget`
 * and `msgsnd`): ours, empty, never sent to nor read from, and still so a moment later (a hub of
 * another address whose key collides could be between those two calls right now). Our liveness
 * lock is held, so no live hub of this address made it. Before, every next hub refused the key
 * for ever ("a queue unibus did not make").
 */
async function unfinished(id: number): Promise<boolean> {
  const untouched = (): boolean => {
    const st = msgStat(id);
    return st !== null && st.uid === myUid() && st.cuid === myUid() && st.qnum === 0 && st.lspid === 0 && st.lrpid === 0;
  };
  if (!untouched()) return false;
  await new Promise((resolve) => setTimeout(resolve, UNFINISHED_RECHECK_MS));
  return untouched();
}

/**
 * A dead hub's record, removed unless a live process still reads the queue: a client's wake queue
 * is that whole process's (src/transports/sysvmq/waker.ts) and may serve its other connections,
 * even a new hub in this very process; the data queues of a live client are removed by that
 * client once it sees the hub gone. (A zombie reads nothing: its queue goes.)
 */
async function removeIfUnread(queue: number): Promise<void> {
  const reader = msgStat(queue)?.lrpid ?? 0;
  if (reader > 0) {
    if (runs(await procStat(reader))) return;
  }
  removeIfOurs(queue);
}

/**
 * A HELLO the dead hub never answered names its client's wake queue. A client killed while it
 * waited could not remove that queue and no hub ever watched its process, so it goes here once
 * that process is gone. A live client keeps it: it sees this queue removed and connects again.
 */
async function removeDeadHelloWake(text: Uint8Array): Promise<void> {
  const hello = decodeHello(text);
  if (hello === null) return;
  if (runs(await procStat(hello.pid))) return;
  await removeIfUnread(hello.wakeQueue);
}

/** Checks an address a client will use and returns its rendezvous queue, or -errno / null info. */
export function openRendezvous(address: SysvmqAddress, allowOtherUsers: boolean): { queue: number; info: HubInfo; uid: number } | null {
  let key: number;
  try {
    key = keyOf(address, false).key;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return null; // no hub has made the key file yet
    throw err;
  }
  const id = msgGetRaw(key, 0);
  if (id === -Errno.ENOENT || id === -Errno.EIDRM) return null;
  if (id === -Errno.EACCES) throw new PermissionDeniedError(`the hub's queue is not open to this user: url=${address.url}`);
  if (id < 0) throw systemError('msgget', -id, address.url);
  const st = msgStat(id);
  if (st === null) return null;
  if (!allowOtherUsers && st.uid !== myUid()) {
    throw new PermissionDeniedError(`the queue of ${address.url} belongs to uid=${st.uid}, not uid=${myUid()} (allowOtherUsers is off)`);
  }
  const info = readInfo(id);
  return info === null ? null : { queue: id, info, uid: st.uid };
}
