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

/** Makes the NATS headers for `message`, or undefined when it needs none. */
export function toNatsHeaders(message: WireMessage, make: () => MsgHdrs): MsgHdrs | undefined {
  const { codec, publisher, seq, headers } = message;
  if (codec === 0 && publisher === undefined && seq === undefined && headers === undefined) return undefined;
  const h = make();
  if (codec !== 0) h.set(CODEC_HEADER, CODEC_NAMES[codec] ?? String(codec));
  if (publisher !== undefined) h.set(PUBLISHER_HEADER, publisher);
  if (seq !== undefined) h.set(SEQ_HEADER, String(seq));
  if (headers !== undefined) {
    for (const key in headers) h.set(key, headers[key]!);
  }
  return h;
}

/** Turns a received NATS message into a WireMessage; `foreignCodec` applies without a codec header. */
export function fromNatsMsg(msg: Msg, foreignCodec: number): WireMessage {
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
