/**
 * A client's outgoing PUBs: its sequence numbers, the frame size limit, and the two ways a PUB
 * reaches its connection: encoded in place in the connection's own buffer (the common case), or
 * as frames handed to `write()` (replyTo or headers, a backend without in-place writing, a
 * frame too large for it).
 * @module
 */
import type { Codec } from '../../codecs/codec.js';
import { FrameTooLargeError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import type { WireMessage } from '../fabric.js';
import type { DirectRoute } from './local-route.js';
import { copyBytes, PubEncoder, type PayloadWriter } from '../protocol/pub-encoder.js';

/** What the owner counts of what was sent. */
export interface SendCounters {
  sent: number;
  bytesSent: number;
}

export class PubSender {
  readonly #encoder: PubEncoder;
  readonly #publisherId: string;
  readonly #counters: SendCounters;
  /** Publishes wait until their frame is in the medium (a durable transport's `drained()`). */
  readonly #durable: boolean;
  #seq = 0;
  #writerCodec: Codec | undefined;
  #writer: PayloadWriter = copyBytes;

  constructor(publisherId: string, counters: SendCounters, durable = false) {
    this.#encoder = new PubEncoder(publisherId);
    this.#publisherId = publisherId;
    this.#counters = counters;
    this.#durable = durable;
  }

  /**
   * A message with no replyTo or headers, given as a value and its codec: encoded straight into
   * `conn`'s buffer where the codec and the connection allow it. `limit`: the largest frame.
   * Returns undefined (accepted, room left) or the wait for room (durable: for the medium).
   */
  publishValue(conn: Connection, limit: number, topic: string, codec: Codec, value: unknown): Promise<void> | undefined {
    const n = codec.sizeOf ? codec.sizeOf(value) : -1;
    if (n >= 0) {
      const room = this.#inPlace(conn, limit, topic, codec.id, value, n, this.#writerFor(codec));
      if (room >= 0) return room === 1 && !this.#durable ? undefined : conn.drained();
    }
    const payload = codec.encode(value);
    if (n < 0) {
      // Encoded by the codec, then copied once, straight into the connection's buffer.
      const room = this.#inPlace(conn, limit, topic, codec.id, payload, payload.length, copyBytes);
      if (room >= 0) return room === 1 && !this.#durable ? undefined : conn.drained();
    }
    return this.publish(conn, limit, { topic, codec: codec.id, payload });
  }

  /** Any message, as frames handed to `conn.write()`. */
  publish(conn: Connection, limit: number, m: WireMessage): Promise<void> | undefined {
    const chunks = this.#encoder.encode(m.topic, m.codec, this.#seq + 1, m.payload, m.replyTo, m.headers);
    const size = chunks instanceof Uint8Array ? chunks.length : chunks[0]!.length + chunks[1]!.length;
    if (size > limit) throw new FrameTooLargeError(size, limit);
    this.#seq++;
    this.#counters.sent++;
    this.#counters.bytesSent += size;
    return conn.write(chunks) && !this.#durable ? undefined : conn.drained();
  }

  /** `PubEncoder.encodeInPlace` with the next sequence number; counts what was sent. */
  #inPlace(conn: Connection, limit: number, topic: string, id: number, value: unknown, n: number, write: PayloadWriter): number {
    const room = this.#encoder.encodeInPlace(conn, limit, topic, id, this.#seq + 1, value, n, write);
    if (room >= 0) {
      this.#seq++;
      this.#counters.sent++;
      this.#counters.bytesSent += this.#encoder.lastFrameSize;
    }
    return room;
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
   * its decoded form beside it, so that the router neither copies nor decodes it.
   */
  publishDirect(route: DirectRoute, limit: number, m: WireMessage): Promise<void> | undefined {
    const seq = this.#seq + 1;
    const frame = this.#encoder.encode(m.topic, m.codec, seq, m.payload, m.replyTo, m.headers);
    const size = frame instanceof Uint8Array ? frame.length : frame[0]!.length + frame[1]!.length;
    if (size > limit) throw new FrameTooLargeError(size, limit);
    this.#seq = seq;
    this.#counters.sent++;
    this.#counters.bytesSent += size;
    return route.send(frame, {
      topic: m.topic, codec: m.codec, publisher: this.#publisherId, seq, replyTo: m.replyTo, headers: m.headers, payload: m.payload,
    });
  }
}
