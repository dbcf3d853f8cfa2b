/**
 * The client side of the unibus protocol over one Connection: HELLO, subscriptions (sent to the
 * hub, dispatched locally), PUB encoding, the PING/PONG flush barrier, presence.
 * @module
 */
import { Subject } from 'rxjs';
import { ClosedError, FrameTooLargeError, ProtocolError, TimeoutError, AbortedError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import type {
  FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription, WireHandler, WireMessage,
} from '../fabric.js';
import {
  Op, PROTOCOL_VERSION, decodeFrame, encodeBye, encodeHello, encodePing, encodeSub, encodeUnsub, toHello,
  toPub, type Hello,
} from '../protocol/messages.js';
import { PubEncoder } from '../protocol/pub-encoder.js';
import { decodePubFast } from '../protocol/pub-decoder.js';
import { SubjectIndex } from '../subjects/subject-index.js';

export interface ClientOptions {
  name: string;
  busId: string;
  transport: string;
  helloTimeout?: number;
}

interface LocalSub {
  readonly id: number;
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly handler: WireHandler;
}

type Pending = { resolve: () => void; reject: (err: Error) => void };

export class HubClient {
  readonly status = new Subject<FabricStatus>();
  readonly conn: Connection;
  readonly #options: ClientOptions;
  readonly #encoder: PubEncoder;
  readonly #plain = new SubjectIndex<LocalSub>();
  readonly #subs = new Map<number, LocalSub>();
  readonly #pings = new Map<number, Pending>();
  #hubHello: Hello | undefined;
  #helloWaiter: Pending | undefined;
  #peers: PeerDescription[] = [];
  #nextSid = 1;
  #nextPing = 1;
  #seq = 0;
  counters = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };

  private constructor(conn: Connection, options: ClientOptions) {
    this.conn = conn;
    this.#options = options;
    this.#encoder = new PubEncoder(options.busId);
  }

  /** Says HELLO over `conn` and waits for the hub's. */
  static async open(conn: Connection, options: ClientOptions): Promise<HubClient> {
    const client = new HubClient(conn, options);
    const timeout = options.helloTimeout ?? 5000;
    const hello = new Promise<void>((resolve, reject) => { client.#helloWaiter = { resolve, reject }; });
    conn.consume((frame) => client.#onFrame(frame));
    void conn.closed.then((closed) => client.#onClosed(closed.error));
    await conn.send(encodeHello({
      version: PROTOCOL_VERSION, name: options.name, pid: process.pid,
      maxFrameSize: conn.maxFrameSize, busId: options.busId,
    }));
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([hello, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError('waiting for the hub HELLO', timeout)), timeout);
      })]);
    } catch (err) {
      conn.destroy('protocol', err as Error);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return client;
  }

  /** The hub's HELLO. */
  get hub(): Hello | undefined {
    return this.#hubHello;
  }

  #onFrame(frame: Uint8Array): void {
    this.counters.received++;
    this.counters.bytesReceived += frame.length;
    const fast = decodePubFast(frame);
    if (fast) {
      this.deliver(fast);
      return;
    }
    const msg = decodeFrame(frame);
    switch (msg[0]) {
      case Op.PUB:
        this.deliver(toPub(msg));
        return;
      case Op.QPUB:
        this.deliverQueued(toPub(decodeFrame(msg[2] as Uint8Array)), msg[1] as number[]);
        return;
      case Op.PONG: {
        const p = this.#pings.get(msg[1] as number);
        this.#pings.delete(msg[1] as number);
        p?.resolve();
        return;
      }
      case Op.HELLO:
        this.#hubHello = toHello(msg);
        this.#helloWaiter?.resolve();
        this.#helloWaiter = undefined;
        return;
      case Op.PEERS:
        this.#peers = (msg[1] as Array<[string, string, number, string]>).map(([id, name, pid, transport]) => ({
          id, name, pid, transport,
        }));
        return;
      case Op.ERR:
        this.status.next({ type: 'error', error: new ProtocolError(`hub says ${String(msg[1])}: ${String(msg[2])}`) });
        return;
      default:
        throw new ProtocolError(`unknown message type=${String(msg[0])} from the hub`);
    }
  }

  /** Dispatches a PUB to every local non-queue subscription that matches (also the router's direct path). */
  deliver(pub: WireMessage): void {
    const subs = this.#plain.match(pub.topic);
    for (let i = 0; i < subs.length; i++) subs[i]!.handler(pub);
  }

  /** Dispatches a PUB to the listed queue-group subscriptions only. */
  deliverQueued(pub: WireMessage, sids: readonly number[]): void {
    for (const sid of sids) this.#subs.get(sid)?.handler(pub);
  }

  #onClosed(error: Error | undefined): void {
    const err = error ?? new ClosedError('hub connection');
    this.#helloWaiter?.reject(err);
    for (const p of this.#pings.values()) p.reject(err);
    this.#pings.clear();
  }

  subscribe(pattern: string, handler: WireHandler, options: FabricSubscribeOptions = {}): FabricSubscription {
    const sub: LocalSub = { id: this.#nextSid++, pattern, queue: options.queue, handler };
    if (sub.queue === undefined) this.#plain.add(pattern, sub);
    this.#subs.set(sub.id, sub);
    this.#control(encodeSub(sub.id, pattern, sub.queue));
    return {
      id: sub.id,
      pattern,
      unsubscribe: () => {
        if (!this.#subs.delete(sub.id)) return;
        if (sub.queue === undefined) this.#plain.remove(pattern, sub);
        this.#control(encodeUnsub(sub.id));
      },
    };
  }

  /** Re-sends every subscription (after a reconnect to a fresh hub). */
  resubscribeAll(): void {
    for (const s of this.#subs.values()) this.#control(encodeSub(s.id, s.pattern, s.queue));
  }

  #control(frame: Uint8Array): void {
    try {
      this.conn.write(frame);
    } catch {
      // A closed connection: the hub forgets our subscriptions anyway.
    }
  }

  publish(m: WireMessage): Promise<void> | undefined {
    const chunks = this.#encoder.encode(m.topic, m.codec, ++this.#seq, m.payload, m.replyTo, m.headers);
    const limit = this.#hubHello ? Math.min(this.#hubHello.maxFrameSize, this.conn.maxFrameSize) : this.conn.maxFrameSize;
    const size = chunks instanceof Uint8Array ? chunks.length : chunks[0]!.length + chunks[1]!.length;
    if (size > limit) throw new FrameTooLargeError(size, limit);
    this.counters.sent++;
    this.counters.bytesSent += size;
    return this.conn.write(chunks) ? undefined : this.conn.drained();
  }

  flush(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    const id = this.#nextPing++;
    const timeout = options.timeout ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pings.delete(id);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => done(new AbortedError('flush', options.signal?.reason));
      const timer = setTimeout(() => done(new TimeoutError('flush', timeout)), timeout);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pings.set(id, { resolve: () => done(), reject: (e) => done(e) });
      try {
        this.conn.write(encodePing(id));
      } catch (err) {
        done(err as Error);
      }
    });
  }

  peers(): PeerDescription[] {
    return this.#peers;
  }

  pause(): void {
    this.conn.pause();
  }

  resume(): void {
    this.conn.resume();
  }

  /** Says BYE (a clean leave), then closes the connection after flushing. */
  async close(): Promise<void> {
    try {
      this.conn.write(encodeBye());
    } catch {
      // already closed
    }
    await this.conn.close();
    this.status.complete();
  }
}
