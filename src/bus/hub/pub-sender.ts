/**
 * A client's outgoing PUBs: its sequence numbers, the frame size limit, and the I/O of handing
 * a PUB to its connection. The encoder (protocol/pub-encoder.ts) only encodes; this file
 * decides where: in place in the connection's own buffer (the common case), in the encoder's
 * scratch slab then `write()` (a connection without in-place writing, or one that declines this
 * frame now), or as frames handed to `write()` (replyTo or headers, a payload a codec encoded).
 * @module
 */
import type { Codec } from '../../codecs/codec.js';
import { FrameTooLargeError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import { canWriteInPlace } from '../../transports/capabilities.js';
import type { WireMessage } from '../fabric.js';
import type { DirectRoute } from './local-route.js';
import type { OwnFrame, OwnRoute } from './own-now.js';
import { copyBytes, PubEncoder, type PayloadWriter } from '../protocol/pub-encoder.js';

/** What the owner counts of what was sent. */
export interface SendCounters {
  sent: number;
  bytesSent: number;
}

/** `#sendValue`'s answers: room left, full (wait for `drained()`), not taken (nothing written, no seq used). */
const ROOM = 1;
const FULL = 0;
const DECLINED = -1;
/**
 * A payload a codec encoded up to this size is copied into the connection's buffer (one write
 * per frame); a larger one is handed over by reference, since connections now take large
 * frames in place too (into a buffer of their own) and copying it there would be a second copy.
 */
const COPY_ENCODED_LIMIT = 16 * 1024;

export class PubSender {
  readonly #encoder: PubEncoder;
  readonly #publisherId: string;
  readonly #counters: SendCounters;
  /** Publishes wait until their frame is in the medium (a durable transport's `drained()`). */
  readonly #durable: boolean;
  #seq = 0;
  #writerCodec: Codec | undefined;
  #writer: PayloadWriter = copyBytes;
  /** The frame `publishNow` hands to its route (one object, reused: routing it is synchronous). */
  readonly #now: ValueFrame;

  constructor(publisherId: string, counters: SendCounters, durable = false) {
    this.#encoder = new PubEncoder(publisherId);
    this.#publisherId = publisherId;
    this.#counters = counters;
    this.#durable = durable;
    this.#now = new ValueFrame(this.#encoder);
  }

  /**
   * The hub's own publish of `value` routed at once, written in place into each subscriber's
   * connection (./own-now.ts): `routed` (or `waits`: routed, the publisher waits), or why it
   * must go the usual way (nothing sent, no seq used). `n`: the size of `value`'s encoding, by
   * `codec.sizeOf` just before (sized once: a codec may pack the value to size it). `encoded`: `value` is bytes `codec` encoded already,
   * copied as they are. Throws `FrameTooLargeError` past `limit`.
   */
  publishNow(route: DirectRoute, limit: number, topic: string, codec: Codec, value: unknown, n: number, encoded: boolean): OwnRoute {
    if (route.sendNow === undefined) return 'link';
    const f = this.#now;
    const seq = this.#seq + 1;
    const size = this.#encoder.valueFrameSize(topic, codec.id, seq, n);
    if (size > limit) throw new FrameTooLargeError(size, limit);
    f.set(topic, codec.id, seq, value, n, encoded ? copyBytes : this.#writerFor(codec), size);
    let done: OwnRoute;
    try {
      done = route.sendNow(f);
    } finally {
      f.value = undefined; // not kept past its publish
    }
    if (done === 'routed' || done === 'waits') this.#sent(size);
    return done;
  }

  /**
   * A message with no replyTo or headers, given as a value and its codec: encoded straight into
   * `conn`'s buffer where the codec and the connection allow it. `limit`: the largest frame.
   * Returns undefined (accepted, room left) or the wait for room (durable: for the medium).
   */
  publishValue(conn: Connection, limit: number, topic: string, codec: Codec, value: unknown): Promise<void> | undefined {
    const n = codec.sizeOf ? codec.sizeOf(value) : -1;
    if (n >= 0) {
      // Sized up front: written once, in place or in the scratch slab, never encoded apart first.
      const room = this.#sendValue(conn, limit, topic, codec.id, value, n, this.#writerFor(codec), true);
      return this.#waitFor(conn, room === ROOM);
    }
    const payload = codec.encode(value);
    // Encoded by the codec, then copied once, straight into the connection's buffer; a large
    // payload (ours already: the codec made it) goes to `publish` as a chunk of its own (no copy).
    if (payload.length <= COPY_ENCODED_LIMIT) {
      const room = this.#sendValue(conn, limit, topic, codec.id, payload, payload.length, copyBytes, false);
      if (room !== DECLINED) return this.#waitFor(conn, room === ROOM);
    }
    return this.publish(conn, limit, { topic, codec: codec.id, payload });
  }

  /** Any message, as frames handed to `conn.write()`. */
  publish(conn: Connection, limit: number, m: WireMessage): Promise<void> | undefined {
    const chunks = this.#encoder.encode(m.topic, m.codec, this.#seq + 1, m.payload, m.replyTo, m.headers);
    const size = chunks instanceof Uint8Array ? chunks.length : chunks[0]!.length + chunks[1]!.length;
    if (size > limit) throw new FrameTooLargeError(size, limit);
    this.#sent(size);
    return this.#waitFor(conn, conn.write(chunks));
  }

  /**
   * The frame of a value of `n` bytes as `write` writes it, with the next sequence number:
   * reserved, written and committed in the connection's own buffer when it takes it in place;
   * else, with `orScratch`, encoded in the encoder's slab and written; else not at all. Returns
   * ROOM or FULL (the connection's room left after it), or DECLINED (nothing written, no seq
   * used). Throws `FrameTooLargeError` past `limit`. The one place the publish path uses the
   * connection's in-place writing (`reserveFrame`/`reservedBuffer`/`commitFrame`).
   */
  #sendValue(conn: Connection, limit: number, topic: string, id: number, value: unknown, n: number, write: PayloadWriter,
    orScratch: boolean): number {
    const seq = this.#seq + 1;
    const size = this.#encoder.valueFrameSize(topic, id, seq, n);
    if (size > limit) throw new FrameTooLargeError(size, limit);
    // No size limit of our own here: the connection declines what it cannot take in place (a
    // socket batch takes frames up to 16 KiB; a shm ring whole records, so 64 KiB goes straight in).
    const inPlace = canWriteInPlace(conn) ? conn : undefined;
    const at = inPlace ? inPlace.reserveFrame(size) : -1;
    let room: boolean;
    if (inPlace && at >= 0) {
      this.#encoder.writeValueFrame(inPlace.reservedBuffer, at, topic, id, seq, value, n, write);
      room = inPlace.commitFrame();
    } else if (orScratch) {
      room = conn.write(this.#encoder.encodeValue(topic, id, seq, value, n, write));
    } else {
      return DECLINED;
    }
    this.#sent(size);
    return room ? ROOM : FULL;
  }

  /** Counts a frame sent, which used the next sequence number. */
  #sent(size: number): void {
    this.#seq++;
    this.#counters.sent++;
    this.#counters.bytesSent += size;
  }

  /** What a publish returns after a write that left `room` (or not). */
  #waitFor(conn: Connection, room: boolean): Promise<void> | undefined {
    return room && !this.#durable ? undefined : conn.drained();
  }

  /** The codec's `encodeInto` as a writer (made once per codec, not per message). */
  #writerFor(codec: Codec): PayloadWriter {
    if (codec !== this.#writerCodec) {
      this.#writerCodec = codec;
      this.#writer = (value, out, at) => codec.encodeInto!(value, out, at);
    }
    return this.#writer;
  }

  /**
   * `m` to the router by reference (the hub's own bus, ./local-route.ts): encoded once, with
   * its decoded form beside it, so that the router neither copies nor decodes it. `release`: its
   * payload is in a pooled buffer (./own-pooled.ts), given back by the router once routed.
   */
  publishDirect(route: DirectRoute, limit: number, m: WireMessage, release?: () => void): Promise<void> | undefined {
    const seq = this.#seq + 1;
    const frame = this.#encoder.encode(m.topic, m.codec, seq, m.payload, m.replyTo, m.headers);
    const size = frame instanceof Uint8Array ? frame.length : frame[0]!.length + frame[1]!.length;
    if (size > limit) throw new FrameTooLargeError(size, limit);
    this.#seq = seq;
    this.#counters.sent++;
    this.#counters.bytesSent += size;
    return route.send(frame, {
      topic: m.topic, codec: m.codec, publisher: this.#publisherId, seq, replyTo: m.replyTo, headers: m.headers, payload: m.payload,
    }, release);
  }
}

/** A PUB frame of a value (no replyTo or headers) that writes itself where the route asks (./own-now.ts). */
class ValueFrame implements OwnFrame {
  topic = '';
  size = 0;
  value: unknown;
  codec = 0;
  #seq = 0;
  #n = 0;
  #write: PayloadWriter = copyBytes;

  constructor(readonly encoder: PubEncoder) {}

  set(topic: string, codec: number, seq: number, value: unknown, n: number, write: PayloadWriter, size: number): void {
    this.topic = topic;
    this.codec = codec;
    this.#seq = seq;
    this.value = value;
    this.#n = n;
    this.#write = write;
    this.size = size;
  }

  write(out: Uint8Array, at: number): void {
    this.encoder.writeValueFrame(out, at, this.topic, this.codec, this.#seq, this.value, this.#n, this.#write);
  }
}
