/**
 * The unibus wire protocol between a hub and its clients (HubFabric). Each transport frame holds
 * one msgpack array whose first element is the message type. docs/protocol.md is the reference
 * for other languages; this file and that document must agree.
 * @module
 */
import { Packr } from 'msgpackr';
import { ProtocolError } from '../../errors.js';
import { MsgpackWriter } from '../../codecs/msgpack-wire.js';

/** Protocol version carried in HELLO; a peer with another major version is refused. */
export const PROTOCOL_VERSION = 1;

export const Op = {
  HELLO: 1,
  SUB: 2,
  UNSUB: 3,
  PUB: 4,
  PING: 5,
  PONG: 6,
  CREDIT: 7,
  ERR: 8,
  QPUB: 9,
  BYE: 10,
  PEERS: 11,
  PEERS_DELTA: 12,
} as const;

/** HELLO: [1, version, name, pid, maxFrameSize, busId]. */
export interface Hello {
  readonly version: number;
  readonly name: string;
  readonly pid: number;
  readonly maxFrameSize: number;
  readonly busId: string;
}

/** A decoded PUB: [4, topic, codec, publisher, seq, replyTo|nil, headers|nil, payload]. */
export interface Pub {
  readonly topic: string;
  readonly codec: number;
  readonly publisher: string;
  readonly seq: number;
  readonly replyTo: string | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly payload: Uint8Array;
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encodeHello(h: Hello): Uint8Array {
  return packr.pack([Op.HELLO, h.version, h.name, h.pid, h.maxFrameSize, h.busId]);
}
export function encodeSub(sid: number, pattern: string, queue?: string): Uint8Array {
  return packr.pack([Op.SUB, sid, pattern, queue ?? null]);
}
export function encodeUnsub(sid: number): Uint8Array {
  return packr.pack([Op.UNSUB, sid]);
}
export function encodePing(id: number): Uint8Array {
  return packr.pack([Op.PING, id]);
}
export function encodePong(id: number): Uint8Array {
  return packr.pack([Op.PONG, id]);
}
/** ERR: [8, code, text] or, for an error about one subscription, [8, code, text, sid]. */
/**
 * ERR: [8, code, text] or [8, code, text, detail], detail a map: `{ sid }` for an error about
 * one subscription (the hub refused that SUB), a policy refusal's `{ action, subject, rule, ... }`.
 */
export function encodeErr(code: string, text: string, detail?: Readonly<Record<string, unknown>>): Uint8Array {
  return packr.pack(detail === undefined ? [Op.ERR, code, text] : [Op.ERR, code, text, detail]);
}
export function encodeBye(): Uint8Array {
  return packr.pack([Op.BYE]);
}
/**
 * One PEERS entry: id (hub-assigned), name (claimed), pid (proven by the kernel, 0 when the
 * transport cannot prove it), transport, claimedPid (from HELLO), uid (proven, or nil).
 * Version-1 readers that know only the first four elements ignore the rest.
 */
export type PeerEntry = readonly [string, string, number, string, number?, (number | null)?];

/** PEERS: [11, [[id, name, pid, transport, claimedPid, uid], ...]] (presence, sent by a hub). */
export function encodePeers(peers: ReadonlyArray<PeerEntry>): Uint8Array {
  return packr.pack([Op.PEERS, peers]);
}
/** PEERS_DELTA: [12, [PeerEntry, ...joined], [id, ...left]] (presence changes). */
export function encodePeersDelta(joined: ReadonlyArray<PeerEntry>, left: readonly string[]): Uint8Array {
  return packr.pack([Op.PEERS_DELTA, joined, left]);
}
/** QPUB: [9, [sid, ...], pubFrame]: a PUB for the listed queue-group subscriptions only. */
export function encodeQpubHeader(sids: readonly number[], pubFrameLength: number): Uint8Array {
  const head = packr.pack([Op.QPUB, sids]);
  // Re-open the 2-element array as a 3-element one and append a bin header for the PUB frame.
  const out = new Uint8Array(head.length + 5);
  out.set(head);
  const w = new MsgpackWriter().at(out, 0);
  w.array(3);
  w.pos = head.length;
  w.bin32Header(pubFrameLength);
  return out;
}

/** Decodes any frame into its array; `ProtocolError` for anything that is not one. */
export function decodeFrame(frame: Uint8Array): unknown[] {
  let msg: unknown;
  try {
    msg = packr.unpack(frame);
  } catch (err) {
    throw new ProtocolError(`undecodable frame of ${frame.length} bytes`, { cause: err });
  }
  if (!Array.isArray(msg) || typeof msg[0] !== 'number') {
    throw new ProtocolError('a frame must be a msgpack array starting with the message type');
  }
  return msg;
}

export function toHello(m: unknown[]): Hello {
  const [, version, name, pid, maxFrameSize, busId] = m;
  if (typeof version !== 'number' || typeof name !== 'string' || typeof pid !== 'number'
    || typeof maxFrameSize !== 'number' || typeof busId !== 'string') {
    throw new ProtocolError('malformed HELLO');
  }
  return { version, name, pid, maxFrameSize, busId };
}

export function toPub(m: unknown[]): Pub {
  const [, topic, codec, publisher, seq, replyTo, headers, payload] = m;
  if (typeof topic !== 'string' || typeof codec !== 'number' || typeof publisher !== 'string'
    || typeof seq !== 'number' || !(payload instanceof Uint8Array)
    || (replyTo != null && typeof replyTo !== 'string') || (headers != null && typeof headers !== 'object')) {
    throw new ProtocolError('malformed PUB');
  }
  return {
    topic, codec, publisher, seq, payload,
    replyTo: (replyTo as string | null) ?? undefined,
    headers: (headers as Record<string, string> | null) ?? undefined,
  };
}
