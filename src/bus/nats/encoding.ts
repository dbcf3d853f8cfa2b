/**
 * How a unibus message looks on NATS (docs/nats.md is the user-facing description).
 *
 * - Topic → NATS subject, unchanged (same grammar: `.` separated tokens, `*` and `>`).
 * - Payload → the NATS message body, the codec's bytes unchanged (never re-encoded).
 * - Codec id → header `unibus-codec` as a decimal string: 0 raw bytes, 1 msgpack, 2 JSON
 *   (UTF-8). Codec 0 is sent without the header, so raw messages are plain NATS messages; a
 *   message that arrives without the header gets the fabric's `foreignCodec` (default 0).
 * - Publisher id and sequence → `unibus-publisher` and `unibus-seq` (decimal), when set.
 * - Reply-to → the NATS reply subject.
 * - User headers → NATS headers with the same names and values (names are case-sensitive
 *   here; names starting with `unibus-` are reserved).
 * - No responders: NATS answers a request that nobody serves with an empty status message
 *   (code 503) on the reply subject; it is delivered as an empty message carrying
 *   `unibus-status: no-responders` ({@link STATUS_HEADER}).
 * @module
 */
import type { Msg, MsgHdrs } from '@nats-io/transport-node';
import { STATUS_HEADER, STATUS_NO_RESPONDERS, type WireMessage } from '../fabric.js';

/** Header carrying the codec id (absent means raw bytes, or the fabric's `foreignCodec`). */
export const CODEC_HEADER = 'unibus-codec';
/** Header carrying the publishing bus's id. */
export const PUBLISHER_HEADER = 'unibus-publisher';
/** Header carrying the publisher's sequence number. */
export const SEQ_HEADER = 'unibus-seq';

const EMPTY = new Uint8Array(0);
const CODEC_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7'];

/**
 * The header block of a message whose only header is the codec, encoded once per codec id.
 * nats.js only calls `encode()` on the headers it publishes, so a constant block skips
 * building and encoding a header map per message (the common case: 2-3x the rate at 64 B).
 */
const codecOnly = new Map<number, MsgHdrs>();
function codecOnlyHeaders(codec: number): MsgHdrs {
  let h = codecOnly.get(codec);
  if (h === undefined) {
    const bytes = new TextEncoder().encode(`NATS/1.0\r\n${CODEC_HEADER}: ${codec}\r\n\r\n`);
    h = { encode: () => bytes } as unknown as MsgHdrs;
    codecOnly.set(codec, h);
  }
  return h;
}

/** Makes the NATS headers for `message`, or undefined when it needs none. */
export function toNatsHeaders(message: WireMessage, make: () => MsgHdrs): MsgHdrs | undefined {
  const { codec, publisher, seq, headers } = message;
  if (publisher === undefined && seq === undefined && headers === undefined) {
    return codec === 0 ? undefined : codecOnlyHeaders(codec);
  }
  const h = make();
  if (codec !== 0) h.set(CODEC_HEADER, CODEC_NAMES[codec] ?? String(codec));
  if (publisher !== undefined) h.set(PUBLISHER_HEADER, publisher);
  if (seq !== undefined) h.set(SEQ_HEADER, String(seq));
  if (headers !== undefined) {
    for (const key in headers) h.set(key, headers[key]!);
  }
  return h;
}

const PREFIX = new TextEncoder().encode(`NATS/1.0\r\n${CODEC_HEADER}: `);

/**
 * The codec id when the header block is exactly "codec only" (what {@link codecOnlyHeaders}
 * sends), else -1. Reads nats.js 3.4's raw message fields (`_msg.hdr`, `_rdata`) when present,
 * which skips decoding the block into a header map per message; any other shape (or another
 * client version without those fields) takes the ordinary path.
 */
function codecOnlyOf(msg: Msg): number {
  const raw = msg as unknown as { _msg?: { hdr?: number }; _rdata?: Uint8Array };
  const end = raw._msg?.hdr;
  const bytes = raw._rdata;
  if (end === undefined || bytes === undefined || end < PREFIX.length + 5 || end > PREFIX.length + 7) return -1;
  for (let i = 0; i < PREFIX.length; i++) if (bytes[i] !== PREFIX[i]) return -1;
  let codec = 0;
  let i = PREFIX.length;
  for (; i < end - 4; i++) {
    const d = bytes[i]! - 48;
    if (d < 0 || d > 9) return -1;
    codec = codec * 10 + d;
  }
  if (bytes[i] !== 13 || bytes[i + 1] !== 10 || bytes[i + 2] !== 13 || bytes[i + 3] !== 10 || codec > 255) return -1;
  return codec;
}

/** Turns a received NATS message into a WireMessage; `foreignCodec` applies without a codec header. */
export function fromNatsMsg(msg: Msg, foreignCodec: number): WireMessage {
  const fast = codecOnlyOf(msg);
  if (fast !== -1) {
    return msg.reply ? { topic: msg.subject, codec: fast, payload: msg.data, replyTo: msg.reply }
      : { topic: msg.subject, codec: fast, payload: msg.data };
  }
  const h = msg.headers;
  if (h === undefined) {
    return msg.reply ? { topic: msg.subject, codec: foreignCodec, payload: msg.data, replyTo: msg.reply }
      : { topic: msg.subject, codec: foreignCodec, payload: msg.data };
  }
  if (h.code === 503) {
    return { topic: msg.subject, codec: 0, payload: EMPTY, headers: { [STATUS_HEADER]: STATUS_NO_RESPONDERS } };
  }
  let codec = foreignCodec;
  let publisher: string | undefined;
  let seq: number | undefined;
  let headers: Record<string, string> | undefined;
  for (const [key, values] of h) {
    const value = values[0] ?? '';
    if (key === CODEC_HEADER) {
      const id = Number(value);
      if (Number.isInteger(id) && id >= 0 && id <= 255) codec = id;
    } else if (key === PUBLISHER_HEADER) publisher = value;
    else if (key === SEQ_HEADER) {
      const n = Number(value);
      if (Number.isSafeInteger(n)) seq = n;
    } else (headers ??= {})[key] = values.length > 1 ? values.join(',') : value;
  }
  const out: { -readonly [K in keyof WireMessage]: WireMessage[K] } = { topic: msg.subject, codec, payload: msg.data };
  if (msg.reply) out.replyTo = msg.reply;
  if (headers !== undefined) out.headers = headers;
  if (publisher !== undefined) out.publisher = publisher;
  if (seq !== undefined) out.seq = seq;
  return out;
}
