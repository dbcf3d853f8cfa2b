/**
 * What travels in the sysvmq queues (docs/sysvmq.md has the full picture). All integers are
 * little-endian; a message's `mtype` says what it is.
 *
 * Rendezvous queue (one per URL, made by the hub with IPC_EXCL, mode 0600):
 * - `INFO` (type 1), posted once by the hub right after creating the queue, never removed, so it
 *   stays at position 0 and clients read it with MSG_COPY:
 *   `u32 magic · u16 version · u16 pathLen · u32 hubPid · i32 hubWakeQueue · f64 listenerEndpoint · path`
 * - `HELLO` (type 2), one per connecting client:
 *   `u32 magic · u16 version · u16 0 · u32 pid · u32 uid · i32 clientWakeQueue · u32 maxFrameSize · f64 endpoint`
 * - `RECORD` (type 2^40 + msqid, no text): one per private queue the hub handed out, so the next
 *   hub can remove them if this one dies with its clients.
 *
 * Wake queues (one per process, IPC_PRIVATE): `mtype` = the endpoint to wake (a number the
 * owning process chose), text = `u8 kind` + payload. `WELCOME` payload:
 *   `u8 kind · u8[3] 0 · i32 c2h · i32 h2c · u32 maxFrameSize · f64 hubEndpoint · u32 hubPid`
 *
 * Data queues (a pair per client, IPC_PRIVATE, single writer each): `DATA` (type 1) texts are
 * consecutive pieces of one length-prefixed byte stream (framing/length-prefix.ts), cut at
 * msgmax; small frames share a message, large ones span several. `BYE` (type 2, no text) is
 * the writer's last message: everything before it was sent.
 * @module
 */

/** "UBMQ" read as a little-endian u32. */
export const MAGIC = 0x514d4255;
export const VERSION = 1;

/** Rendezvous queue types. */
export const RV_INFO = 1;
export const RV_HELLO = 2;
export const RV_RECORD_BASE = 2 ** 40;

/** Data queue types. */
export const DATA = 1;
export const BYE = 2;

/** Wake kinds (first text byte of a wake message). */
export const Wake = {
  /** New data in a queue you read. */
  Data: 1,
  /** My send to you got EAGAIN: tell me (Space) once you have drained. */
  Blocked: 2,
  /** I drained the queue you write to. */
  Space: 3,
  /** A HELLO waits in the rendezvous queue (to the hub's listener endpoint). */
  Hello: 4,
  /** The hub accepted you (payload: WELCOME). */
  Welcome: 5,
  /** The hub refused you (payload: utf8 reason). */
  Reject: 6,
} as const;

/** Largest wake message text (WELCOME is the longest fixed one; REJECT reasons are cut). */
export const WAKE_TEXT_MAX = 256;

export interface HubInfo {
  readonly hubPid: number;
  readonly wakeQueue: number;
  readonly endpoint: number;
  readonly livenessPath: string;
}

export function encodeInfo(info: HubInfo): Buffer {
  const path = Buffer.from(info.livenessPath, 'utf8');
  const buf = Buffer.alloc(24 + path.length);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt16LE(VERSION, 4);
  buf.writeUInt16LE(path.length, 6);
  buf.writeUInt32LE(info.hubPid, 8);
  buf.writeInt32LE(info.wakeQueue, 12);
  buf.writeDoubleLE(info.endpoint, 16);
  path.copy(buf, 24);
  return buf;
}

/** The INFO message, or null when the text is not ours (magic, version or lengths wrong). */
export function decodeInfo(text: Uint8Array): HubInfo | null {
  const buf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (buf.length < 24 || buf.readUInt32LE(0) !== MAGIC || buf.readUInt16LE(4) !== VERSION) return null;
  const pathLen = buf.readUInt16LE(6);
  if (buf.length !== 24 + pathLen) return null;
  return {
    hubPid: buf.readUInt32LE(8),
    wakeQueue: buf.readInt32LE(12),
    endpoint: buf.readDoubleLE(16),
    livenessPath: buf.toString('utf8', 24, 24 + pathLen),
  };
}

export interface Hello {
  readonly pid: number;
  readonly uid: number;
  readonly wakeQueue: number;
  readonly maxFrameSize: number;
  readonly endpoint: number;
}

export const HELLO_BYTES = 32;

export function encodeHello(h: Hello): Buffer {
  const buf = Buffer.alloc(HELLO_BYTES);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt16LE(VERSION, 4);
  buf.writeUInt32LE(h.pid, 8);
  buf.writeUInt32LE(h.uid, 12);
  buf.writeInt32LE(h.wakeQueue, 16);
  buf.writeUInt32LE(h.maxFrameSize, 20);
  buf.writeDoubleLE(h.endpoint, 24);
  return buf;
}

export function decodeHello(text: Uint8Array): Hello | null {
  const buf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (buf.length !== HELLO_BYTES || buf.readUInt32LE(0) !== MAGIC || buf.readUInt16LE(4) !== VERSION) return null;
  const h = {
    pid: buf.readUInt32LE(8),
    uid: buf.readUInt32LE(12),
    wakeQueue: buf.readInt32LE(16),
    maxFrameSize: buf.readUInt32LE(20),
    endpoint: buf.readDoubleLE(24),
  };
  if (h.pid === 0 || h.wakeQueue < 0 || !Number.isSafeInteger(h.endpoint) || h.endpoint < 1) return null;
  return h;
}

export interface Welcome {
  readonly c2h: number;
  readonly h2c: number;
  readonly maxFrameSize: number;
  readonly hubEndpoint: number;
  readonly hubPid: number;
}

/** WELCOME wake text, kind byte included. */
export function encodeWelcome(w: Welcome): Buffer {
  const buf = Buffer.alloc(28);
  buf[0] = Wake.Welcome;
  buf.writeInt32LE(w.c2h, 4);
  buf.writeInt32LE(w.h2c, 8);
  buf.writeUInt32LE(w.maxFrameSize, 12);
  buf.writeDoubleLE(w.hubEndpoint, 16);
  buf.writeUInt32LE(w.hubPid, 24);
  return buf;
}

export function decodeWelcome(text: Uint8Array): Welcome | null {
  const buf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  if (buf.length !== 28 || buf[0] !== Wake.Welcome) return null;
  return {
    c2h: buf.readInt32LE(4),
    h2c: buf.readInt32LE(8),
    maxFrameSize: buf.readUInt32LE(12),
    hubEndpoint: buf.readDoubleLE(16),
    hubPid: buf.readUInt32LE(24),
  };
}
