/**
 * The hot path: encodes a PUB envelope by hand, as msgpack, without copying the payload.
 *
 * Small payloads are written into the envelope (one chunk); large ones are returned as a second
 * chunk (`[envelope, payload]`), which the transport sends back to back as one frame, so a
 * 1 MiB payload is never copied into an encoder buffer. Topic strings are encoded once and cached.
 * `encodeInPlace` goes further for payloads a codec can size up front (byte arrays): the whole
 * frame is written straight into the transport's batch or ring, with no intermediate buffer.
 * @module
 */
import { Packr } from 'msgpackr';
import { Op } from './messages.js';
import { uninitialized, view } from '../../bytes.js';
import type { Connection } from '../../transports/transport.js';
import { canWriteInPlace } from '../../transports/capabilities.js';
import { FrameTooLargeError } from '../../errors.js';

/** Payloads up to this size are copied into the envelope. */
const INLINE_LIMIT = 1024;
/** Envelopes are cut from slabs of this size: no zero-filled allocation per message. */
const SLAB_BYTES = 256 * 1024;
const TOPIC_CACHE_LIMIT = 2048;
const utf8 = new TextEncoder();
const headerPackr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** Writes a payload of known size at `out[at]`. */
export type PayloadWriter = (value: unknown, out: Uint8Array, at: number) => void;

/** A `PayloadWriter` for payload bytes already encoded. */
export const copyBytes: PayloadWriter = (value, out, at) => out.set(value as Uint8Array, at);

export class PubEncoder {
  readonly #topics = new Map<string, Uint8Array>();
  readonly #publisher: Uint8Array;
  #lastTopic = '';
  // The encoding of the initial #lastTopic (''), not empty bytes: a PUB to '' would lose its topic.
  #lastTopicBytes: Uint8Array = strBytes('');
  // A slab is only ever cut forward: a frame handed to a transport is never written again.
  #slab: Uint8Array = new Uint8Array(0);
  #slabPos = 0;

  constructor(publisherId: string) {
    this.#publisher = strBytes(publisherId);
  }

  /** Size of the frame written by the last successful `encodeInPlace`. */
  lastFrameSize = 0;

  /** The topic's msgpack str bytes, cached. */
  #topicBytes(topic: string): Uint8Array {
    if (topic === this.#lastTopic) return this.#lastTopicBytes;
    let t = this.#topics.get(topic);
    if (!t) {
      t = strBytes(topic);
      if (this.#topics.size >= TOPIC_CACHE_LIMIT) this.#topics.clear();
      this.#topics.set(topic, t);
    }
    this.#lastTopic = topic;
    this.#lastTopicBytes = t;
    return t;
  }

  /**
   * The fastest path: a PUB frame without replyTo or headers, whose payload is `value` as
   * `write` writes it (`n` bytes: a codec's `encodeInto` after its `sizeOf`, or a copy of bytes
   * a codec encoded, codec id `id`), encoded straight into the connection's own buffer
   * (`InPlaceWriter.reserveFrame`). Returns -1 when the connection cannot take it in place (no
   * such capability, or not now; nothing was written: use `encode`), else what `commitFrame()` returned (1 room, 0 full). Throws
   * `FrameTooLargeError` past `limit`.
   */
  encodeInPlace(conn: Connection, limit: number, topic: string, id: number, seq: number, value: unknown, n: number,
    write: PayloadWriter): number {
    // No size limit here: the connection declines what it cannot take in place (a socket batch
    // takes frames up to 16 KiB; a shm ring whole records, so a 64 KiB payload goes straight in).
    const t = this.#topicBytes(topic);
    const size = 2 + t.length + (id > 127 ? 2 : 1) + this.#publisher.length + uintSize(seq) + 2 + binHeaderSize(n) + n;
    if (size > limit) throw new FrameTooLargeError(size, limit);
    if (!canWriteInPlace(conn)) return -1;
    const at = conn.reserveFrame(size);
    if (at < 0) return -1;
    const out = conn.reservedBuffer;
    let p = this.#writeHead(out, at, t, id, seq);
    out[p++] = 0xc0; // replyTo
    out[p++] = 0xc0; // headers
    p = writeBinHeader(out, p, n);
    write(value, out, p);
    this.lastFrameSize = size;
    return conn.commitFrame() ? 1 : 0;
  }

  /** Writes a PUB's fields up to its replyTo at `out[at]`: array header, type, topic, codec, publisher, seq. */
  #writeHead(out: Uint8Array, at: number, topic: Uint8Array, codec: number, seq: number): number {
    out[at] = 0x98; // fixarray of 8
    out[at + 1] = Op.PUB;
    let p = at + 2;
    out.set(topic, p); p += topic.length;
    if (codec > 127) { out[p++] = 0xcc; out[p++] = codec; } else out[p++] = codec; // positive fixint
    out.set(this.#publisher, p); p += this.#publisher.length;
    return writeUint(out, p, seq);
  }

  /** One PUB frame: a single array when the payload is inline, else `[envelope, payload]`. */
  encode(topic: string, codec: number, seq: number, payload: Uint8Array,
    replyTo: string | undefined, headers: Readonly<Record<string, string>> | undefined): Uint8Array | Uint8Array[] {
    const t = this.#topicBytes(topic);
    const r = replyTo === undefined ? undefined : strBytes(replyTo);
    const h = headers === undefined ? undefined : headerPackr.pack(headers);
    const inline = payload.length <= INLINE_LIMIT;
    const most = 3 + t.length + this.#publisher.length + 9 + (r ? r.length : 1) + (h ? h.length : 1)
      + 5 + (inline ? payload.length : 0);
    if (this.#slabPos + most > this.#slab.length) {
      this.#slab = uninitialized(Math.max(SLAB_BYTES, most));
      this.#slabPos = 0;
    }
    // Absolute positions in the slab: one view is cut at the end, none before.
    const out = this.#slab;
    const start = this.#slabPos;
    let p = this.#writeHead(out, start, t, codec, seq);
    if (r) { out.set(r, p); p += r.length; } else out[p++] = 0xc0;
    if (h) { out.set(h, p); p += h.length; } else out[p++] = 0xc0;
    p = writeBinHeader(out, p, payload.length);
    if (inline) {
      out.set(payload, p);
      p += payload.length;
      this.#slabPos = p;
      return view(out, start, p);
    }
    this.#slabPos = p;
    return [view(out, start, p), payload];
  }
}

/** msgpack str encoding of `text` (header + UTF-8). */
export function strBytes(text: string): Uint8Array {
  const body = utf8.encode(text);
  const n = body.length;
  const head = n < 32 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5;
  const out = new Uint8Array(head + n);
  if (n < 32) out[0] = 0xa0 | n;
  else if (n < 256) { out[0] = 0xd9; out[1] = n; }
  else if (n < 65536) { out[0] = 0xda; out[1] = n >>> 8; out[2] = n & 0xff; }
  else { out[0] = 0xdb; new DataView(out.buffer).setUint32(1, n); }
  out.set(body, head);
  return out;
}

function uintSize(n: number): number {
  return n < 128 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : n < 2 ** 32 ? 5 : 9;
}

function binHeaderSize(n: number): number {
  return n < 256 ? 2 : n < 65536 ? 3 : 5;
}

function writeUint(out: Uint8Array, p: number, n: number): number {
  if (n < 128) { out[p] = n; return p + 1; }
  if (n < 256) { out[p] = 0xcc; out[p + 1] = n; return p + 2; }
  if (n < 65536) { out[p] = 0xcd; out[p + 1] = n >>> 8; out[p + 2] = n & 0xff; return p + 3; }
  if (n < 2 ** 32) {
    out[p] = 0xce; out[p + 1] = n >>> 24; out[p + 2] = (n >>> 16) & 0xff; out[p + 3] = (n >>> 8) & 0xff; out[p + 4] = n & 0xff;
    return p + 5;
  }
  out[p] = 0xcb; // float64 keeps integers exact up to 2^53
  new DataView(out.buffer, out.byteOffset).setFloat64(p + 1, n);
  return p + 9;
}

function writeBinHeader(out: Uint8Array, p: number, n: number): number {
  if (n < 256) { out[p] = 0xc4; out[p + 1] = n; return p + 2; }
  if (n < 65536) { out[p] = 0xc5; out[p + 1] = n >>> 8; out[p + 2] = n & 0xff; return p + 3; }
  out[p] = 0xc6; out[p + 1] = n >>> 24; out[p + 2] = (n >>> 16) & 0xff; out[p + 3] = (n >>> 8) & 0xff; out[p + 4] = n & 0xff;
  return p + 5;
}
