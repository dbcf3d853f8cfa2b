/**
 * The hot path: encodes a PUB envelope by hand, as msgpack, without copying the payload. It
 * does no I/O: it writes into a buffer it is given or into its own slab, and the sender
 * (hub/pub-sender.ts) hands the result to a connection.
 *
 * Small payloads are written into the envelope (one chunk); large ones are returned as a second
 * chunk (`[envelope, payload]`), which the transport sends back to back as one frame, so a
 * 1 MiB payload is never copied into an encoder buffer. The fields that repeat (array header, type, topic, codec, publisher) are encoded once per topic
 * and cached.
 * `writeValueFrame` goes further for payloads a codec can size up front (byte arrays): the
 * whole frame is written wherever the caller says, e.g. straight into a transport's batch or
 * ring, with no intermediate buffer.
 * @module
 */
import { Packr } from 'msgpackr';
import { Op } from './messages.js';
import { Slab, view } from '../../bytes.js';
import { binHeaderSize, encodeStr, MsgpackWriter, uintSize } from '../../codecs/msgpack-wire.js';

/** Payloads up to this size are copied into the envelope. */
const INLINE_LIMIT = 1024;
/** Envelopes are cut from slabs of this size: no zero-filled allocation per message. */
const SLAB_BYTES = 256 * 1024;
/**
 * Frames above this size get a buffer of their own instead of a slab cut. Cut from the slab, a
 * 64 KiB frame used a fresh 256 KiB slab every 4 messages: each one its own mmap, page-faulted
 * on first touch (the publisher took 4x the page faults and 2x the CPU per 64 KiB message of
 * the same copy into a malloc'd buffer, which the allocator reuses once the socket is done).
 */
const SLAB_CUT_LIMIT = 16 * 1024;
const TOPIC_CACHE_LIMIT = 2048;
const headerPackr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** A topic's cached frame start, for one codec. */
interface TopicHead {
  readonly codec: number;
  readonly bytes: Uint8Array;
}

/** Writes a payload of known size at `out[at]`. */
export type PayloadWriter = (value: unknown, out: Uint8Array, at: number) => void;

/** A `PayloadWriter` for payload bytes already encoded. */
export const copyBytes: PayloadWriter = (value, out, at) => out.set(value as Uint8Array, at);

/**
 * One publisher's PUB frames (docs/protocol.md, PUB).
 *
 * @example
 * ```ts
 * const enc = new PubEncoder('p1');
 * const size = enc.valueFrameSize('a.b', 0, 1, 3);
 * const out = new Uint8Array(size);
 * enc.writeValueFrame(out, 0, 'a.b', 0, 1, new Uint8Array([1, 2, 3]), 3, copyBytes);
 * ```
 */
export class PubEncoder {
  /** Per topic, the frame's fixed start: see `#head`. */
  readonly #heads = new Map<string, TopicHead>();
  readonly #publisher: Uint8Array;
  // The last head used, checked before the map: most publishers repeat a topic. No topic has
  // codec -1, so a fresh encoder never answers with this empty head (a PUB would lose fields).
  #lastTopic = '';
  #lastCodec = -1;
  #lastHead: Uint8Array = new Uint8Array(0);
  // A slab is only ever cut forward: a frame handed to a transport is never written again.
  readonly #slab = new Slab(SLAB_BYTES, SLAB_CUT_LIMIT);
  readonly #writer = new MsgpackWriter();

  constructor(publisherId: string) {
    this.#publisher = encodeStr(publisherId);
  }

  /**
   * A PUB's fields up to its seq, which are the same for every frame of a topic and codec: array
   * header, type, topic, codec, publisher. Made once per topic (one copy per frame, not five
   * writes), and again when the topic's codec changes.
   */
  #head(topic: string, codec: number): Uint8Array {
    if (topic === this.#lastTopic && codec === this.#lastCodec) return this.#lastHead;
    let h = this.#heads.get(topic);
    if (h === undefined || h.codec !== codec) {
      const t = encodeStr(topic);
      const bytes = new Uint8Array(2 + t.length + uintSize(codec) + this.#publisher.length);
      const w = new MsgpackWriter().at(bytes, 0); // not #writer: a caller may be using it
      w.array(8);
      w.uint(Op.PUB);
      w.raw(t);
      w.uint(codec);
      w.raw(this.#publisher);
      h = { codec, bytes };
      if (this.#heads.size >= TOPIC_CACHE_LIMIT) this.#heads.clear();
      this.#heads.set(topic, h);
    }
    this.#lastTopic = topic;
    this.#lastCodec = codec;
    this.#lastHead = h.bytes;
    return h.bytes;
  }

  /** Bytes of a PUB frame without replyTo or headers whose payload encodes in `n` bytes. */
  valueFrameSize(topic: string, codec: number, seq: number, n: number): number {
    return this.#head(topic, codec).length + uintSize(seq) + 2 + binHeaderSize(n) + n;
  }

  /**
   * The fastest path: writes a PUB frame without replyTo or headers at `out[at]`
   * (`valueFrameSize` bytes), whose payload is `value` as `write` writes it (`n` bytes: a
   * codec's `encodeInto` after its `sizeOf`, or a copy of bytes a codec encoded, codec id `codec`).
   */
  writeValueFrame(out: Uint8Array, at: number, topic: string, codec: number, seq: number, value: unknown, n: number,
    write: PayloadWriter): void {
    const head = this.#head(topic, codec);
    const w = this.#writer.at(out, at);
    w.raw(head);
    w.uint(seq);
    w.nil(); // replyTo
    w.nil(); // headers
    w.binHeader(n);
    write(value, out, w.pos);
  }

  /** `writeValueFrame` into the encoder's own slab, for a connection that cannot take it in place. */
  encodeValue(topic: string, codec: number, seq: number, value: unknown, n: number, write: PayloadWriter): Uint8Array {
    const size = this.valueFrameSize(topic, codec, seq, n);
    const at = this.#slab.cut(size);
    const out = this.#slab.bytes;
    this.writeValueFrame(out, at, topic, codec, seq, value, n, write);
    return view(out, at, at + size);
  }

  /** One PUB frame: a single array when the payload is inline, else `[envelope, payload]`. */
  encode(topic: string, codec: number, seq: number, payload: Uint8Array,
    replyTo: string | undefined, headers: Readonly<Record<string, string>> | undefined): Uint8Array | Uint8Array[] {
    const head = this.#head(topic, codec);
    const r = replyTo === undefined ? undefined : encodeStr(replyTo);
    const h = headers === undefined ? undefined : headerPackr.pack(headers);
    const inline = payload.length <= INLINE_LIMIT;
    // At most: the seq as a float64, a bin 32 header.
    const most = head.length + 9 + (r ? r.length : 1) + (h ? h.length : 1) + 5 + (inline ? payload.length : 0);
    // Absolute positions in the slab: one view is cut at the end, none before.
    const start = this.#slab.cut(most);
    const out = this.#slab.bytes;
    const w = this.#writer.at(out, start);
    w.raw(head);
    w.uint(seq);
    if (r) w.raw(r); else w.nil();
    if (h) w.raw(h); else w.nil();
    w.binHeader(payload.length);
    if (inline) w.raw(payload);
    this.#slab.trim(w.pos);
    const envelope = view(out, start, w.pos);
    return inline ? envelope : [envelope, payload];
  }
}
