/**
 * System V message queues: `msgget`, `msgsnd`, `msgrcv` (sync and on the thread pool),
 * `msgctl(IPC_STAT | IPC_RMID)` and `ftok`, with the `msgbuf` layout and the constants written
 * once (x86-64 / aarch64 glibc, measured with offsetof on this machine).
 *
 * The hot calls (`msgSend`, `msgReceive`) return `-errno` instead of throwing, so a full or empty
 * queue (EAGAIN, ENOMSG) costs no exception; everything else throws Node-shaped errors.
 *
 * ```
 * struct msgbuf            struct msqid_ds (120 bytes)
 * ┌────────────┐ 0         0  key  4 uid  8 gid  12 cuid  16 cgid  20 mode (u32)
 * │ long mtype │           48 stime  56 rtime  64 ctime (i64)
 * ├────────────┤ 8         72 cbytes  80 qnum  88 qbytes (u64)
 * │ mtext[]    │           96 lspid  100 lrpid (i32)
 * └────────────┘
 * ```
 * @example
 * ```ts
 * const q = msgGet(IPC_PRIVATE, IPC_CREAT | 0o600);
 * const m = new MsgBuffer(64);
 * m.type = 1; m.text.set([1, 2, 3]);
 * if (msgSend(q, m, 3, IPC_NOWAIT) === -Errno.EAGAIN) { ... full: wait for room ... }
 * msgRemove(q);
 * ```
 * @module
 */
import { native } from './loader.js';
import { lastErrno } from './errno.js';
import { systemError } from '../errors.js';

/** `key_t` meaning "a new queue nobody can find by key". */
export const IPC_PRIVATE = 0;
/** msgget flags. */
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
/** msgsnd / msgrcv flags. */
export const IPC_NOWAIT = 0o4000;
export const MSG_NOERROR = 0o10000;
/** msgrcv: copy the message at position `msgtyp` without removing it (needs IPC_NOWAIT). */
export const MSG_COPY = 0o40000;
/** msgctl commands. */
export const IPC_RMID = 0;
export const IPC_STAT = 2;
export const IPC_SET = 1;

/** Bytes of `long mtype` before the text in a `msgbuf`. */
export const MTYPE_BYTES = 8;
/** Largest message text on these machines (`/proc/sys/kernel/msgmax`, the Linux default). */
export const DEFAULT_MSGMAX = 8192;
/** Bytes a queue holds (`/proc/sys/kernel/msgmnb`, the Linux default). */
export const DEFAULT_MSGMNB = 16384;
const MSQID_DS_BYTES = 120;

/** A reusable `struct msgbuf`: an 8-byte `mtype` followed by `capacity` bytes of text. */
export class MsgBuffer {
  /** The whole struct, passed to the kernel. */
  readonly bytes: Buffer;
  /** The text area (a view into `bytes`). */
  readonly text: Buffer;
  readonly capacity: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer: capacity=${capacity}`);
    this.capacity = capacity;
    this.bytes = Buffer.alloc(MTYPE_BYTES + capacity);
    this.text = this.bytes.subarray(MTYPE_BYTES);
  }

  /** The message type; kept below 2^53 so it is a plain number. */
  get type(): number {
    return this.bytes.readUInt32LE(0) + this.bytes.readUInt32LE(4) * 0x1_0000_0000;
  }

  set type(value: number) {
    this.bytes.writeUInt32LE(value >>> 0, 0);
    this.bytes.writeUInt32LE(Math.floor(value / 0x1_0000_0000), 4);
  }
}

/** What `IPC_STAT` tells about a queue. */
export interface MsgQueueStat {
  readonly key: number;
  readonly uid: number;
  readonly gid: number;
  readonly cuid: number;
  readonly mode: number;
  /** Seconds since the epoch of the last change (creation or IPC_SET). */
  readonly ctime: number;
  readonly cbytes: number;
  readonly qnum: number;
  readonly qbytes: number;
  /** Pid of the last msgsnd / msgrcv (0 if none yet). */
  readonly lspid: number;
  readonly lrpid: number;
}

type Fn<A extends unknown[], R> = ((...args: A) => R) & { async: (...args: [...A, (err: unknown, res: R) => void]) => void };

interface Bindings {
  msgget: Fn<[number, number], number>;
  msgsnd: Fn<[number, Buffer, number, number], number>;
  msgrcv: Fn<[number, Buffer, number, number, number], number>;
  msgctl: Fn<[number, number, Buffer | null], number>;
  ftok: Fn<[string, number], number>;
}

let bound: Bindings | undefined;

function lib(): Bindings {
  if (bound) return bound;
  const { libc } = native();
  bound = {
    msgget: libc.func('int msgget(int key, int msgflg)'),
    msgsnd: libc.func('int msgsnd(int msqid, const void *msgp, size_t msgsz, int msgflg)'),
    msgrcv: libc.func('intptr_t msgrcv(int msqid, void *msgp, size_t msgsz, long msgtyp, int msgflg)'),
    msgctl: libc.func('int msgctl(int msqid, int cmd, void *buf)'),
    ftok: libc.func('int ftok(const char *pathname, int proj_id)'),
  } as unknown as Bindings;
  return bound;
}

/** `msgget(key, flags)`: the queue id. Throws (ENOENT, EEXIST, EACCES, ENOSPC...) on failure. */
export function msgGet(key: number, flags: number): number {
  const id = lib().msgget(key | 0, flags);
  if (id < 0) throw systemError('msgget', lastErrno(), `key=0x${(key >>> 0).toString(16)}`);
  return id;
}

/** `msgget` that returns `-errno` instead of throwing. */
export function msgGetRaw(key: number, flags: number): number {
  const id = lib().msgget(key | 0, flags);
  return id < 0 ? -lastErrno() : id;
}

function checkSize(msg: MsgBuffer, size: number): void {
  // The kernel trusts msgsz: a size past the buffer would read or write foreign memory.
  if (!(size >= 0 && size <= msg.capacity)) throw new RangeError(`message size out of range: size=${size} capacity=${msg.capacity}`);
}

/** `msgsnd(id, msg, size, flags)`: 0, or `-errno` (EAGAIN when full with IPC_NOWAIT, EIDRM, EINVAL). */
export function msgSend(id: number, msg: MsgBuffer, size: number, flags: number): number {
  checkSize(msg, size);
  return lib().msgsnd(id, msg.bytes, size, flags) < 0 ? -lastErrno() : 0;
}

/** `msgrcv(id, msg, capacity, type, flags)`: the text length, or `-errno` (ENOMSG, E2BIG, EIDRM...). */
export function msgReceive(id: number, msg: MsgBuffer, type: number, flags: number): number {
  const n = lib().msgrcv(id, msg.bytes, msg.capacity, type, flags);
  return n < 0 ? -lastErrno() : Number(n);
}

/**
 * `msgrcv` on the libuv thread pool (a blocking wait that parks one pool thread). `done` gets the
 * text length or `-errno`. The wait ends when a message arrives or the queue is removed (EIDRM):
 * removing the queue is how its owner wakes it, so the process can exit.
 */
export function msgReceiveAsync(id: number, msg: MsgBuffer, type: number, flags: number, done: (result: number) => void): void {
  const { koffi } = native();
  lib().msgrcv.async(id, msg.bytes, msg.capacity, type, flags, (err, n) => {
    if (err) {
      done(-5); // EIO: koffi itself failed to run the call
      return;
    }
    done(Number(n) < 0 ? -koffi.errno() : Number(n));
  });
}

/** `msgctl(IPC_STAT)`, or null when the queue no longer exists (EINVAL, EIDRM). */
export function msgStat(id: number): MsgQueueStat | null {
  const buf = Buffer.alloc(MSQID_DS_BYTES);
  if (lib().msgctl(id, IPC_STAT, buf) < 0) {
    const errno = lastErrno();
    if (errno === 22 || errno === 43) return null;
    throw systemError('msgctl', errno, `msqid=${id}`);
  }
  return {
    key: buf.readInt32LE(0),
    uid: buf.readUInt32LE(4),
    gid: buf.readUInt32LE(8),
    cuid: buf.readUInt32LE(12),
    mode: buf.readUInt32LE(20) & 0o777,
    ctime: Number(buf.readBigInt64LE(64)),
    cbytes: Number(buf.readBigUInt64LE(72)),
    qnum: Number(buf.readBigUInt64LE(80)),
    qbytes: Number(buf.readBigUInt64LE(88)),
    lspid: buf.readInt32LE(96),
    lrpid: buf.readInt32LE(100),
  };
}

/** `msgctl(IPC_SET)` of the permission bits (`msg_perm.mode`, a u16 at offset 20); the rest as IPC_STAT read it. */
export function msgSetMode(id: number, mode: number): void {
  const buf = Buffer.alloc(MSQID_DS_BYTES);
  if (lib().msgctl(id, IPC_STAT, buf) < 0 || (buf.writeUInt16LE(mode & 0o777, 20), lib().msgctl(id, IPC_SET, buf) < 0)) {
    throw systemError('msgctl', lastErrno(), `msqid=${id}`);
  }
}

/** `msgctl(IPC_RMID)`: true when removed, false when it was already gone. Wakes its waiters (EIDRM). */
export function msgRemove(id: number): boolean {
  if (lib().msgctl(id, IPC_RMID, null) === 0) return true;
  const errno = lastErrno();
  if (errno === 22 || errno === 43) return false;
  throw systemError('msgctl', errno, `msqid=${id}`);
}

/** `ftok(path, proj)`: the System V key of an existing file (low 8 bits of `proj` are used). */
export function ftok(path: string, proj: number): number {
  const key = lib().ftok(path, proj);
  if (key === -1) throw systemError('ftok', lastErrno(), path);
  return key;
}
