/**
 * The client side of the unibus protocol over one Connection: HELLO, subscriptions (sent to the
 * hub, dispatched locally), PUB encoding, the PING/PONG flush barrier, presence.
 *
 * A client outlives its connection: after a loss, `reattach(conn)` says HELLO on a new one,
 * re-sends every subscription and every pending flush PING; local subscriptions never notice.
 * The flush barrier: ./flush-barrier.ts; presence: ./client-presence.ts; ERR: ./hub-errors.ts;
 * waiting for the hub's HELLO: ./hello-wait.ts; the local subscriptions: ./client-subscriptions.ts.
 * @module
 */
import { Subject } from '../../rx.js';
import { ClosedError, ProtocolError } from '../../errors.js';
import { closedWith, connectionEndError, onHubErr, type ErrTarget } from './hub-errors.js';
import { PeerList } from './client-presence.js';
import { FlushBarrier } from './flush-barrier.js';
import { awaitHello, endedBeforeHello } from './hello-wait.js';
import type { ClientOptions } from './client-options.js';
import type { Closed, Connection } from '../../transports/transport.js';
import { handsBack, type ClosedWithUnsent } from '../../transports/capabilities.js';
import type { Codec } from '../../codecs/codec.js';
import type {
  FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription, WireHandler, WireMessage,
} from '../fabric.js';
import {
  Op, PROTOCOL_VERSION, decodeFrame, encodeBye, encodeHello, encodeSub, encodeUnsub, toHello,
  toPub, type Hello, type PeerEntry,
} from '../protocol/messages.js';
import { PubSender } from './pub-sender.js';
import type { DirectRoute } from './local-route.js';
import { encodeOwnCut, ownPayloadSize, poolsOwnPayload, SMALL_OWN_PAYLOAD } from './own-payload.js';
import { encodePooledPayload } from './own-pooled.js';
import { decodePubFast } from '../protocol/pub-decoder.js';
import { ClientSubscriptions, type LocalSub } from './client-subscriptions.js';

export type { ClientOptions } from './client-options.js';

type Pending = { resolve: () => void; reject: (err: Error) => void };

export class HubClient {
  readonly status = new Subject<FabricStatus>();
  /** The current connection (replaced by `reattach` after a reconnect). */
  conn: Connection;
  readonly #options: ClientOptions;
  readonly #sender: PubSender;
  readonly #subs = new ClientSubscriptions();
  readonly #flushes = new FlushBarrier();
  #hubHello: Hello | undefined;
  #helloWaiter: Pending | undefined;
  readonly #peers = new PeerList((event) => this.status.next(event));
  #paused = false;
  #closing = false;
  /** The hub said BYE on the current connection: its end is a clean stop. */
  #hubBye = false;
  /** Why the hub ends this connection, when its ERR said so (a slow consumer): the disconnect carries it. */
  #endedBy: Error | undefined;
  /** Subscriptions are withdrawn from the hub (drain): never re-sent. */
  #withdrawn = false;
  readonly counters = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };
  /** Our HELLO on the connection whose resume state we keep (`DurableHandBack.resumeWith`). */
  #helloFrame: Uint8Array | undefined;
  #stateConn: Connection | undefined;
  readonly #resumeState = (): Uint8Array[] => {
    const hello = this.#helloFrame!;
    if (this.#withdrawn) return [hello];
    return [hello, ...this.#subs.subFrames()];
  };

  private constructor(conn: Connection, options: ClientOptions) {
    this.conn = conn;
    this.#options = options;
    this.#sender = new PubSender(options.busId, this.counters, options.durable === true);
  }

  /** Says HELLO over `conn` and waits for the hub's. */
  static async open(conn: Connection, options: ClientOptions): Promise<HubClient> {
    const client = new HubClient(conn, options);
    await client.#handshake(conn);
    return client;
  }

  /**
   * Continues on a new connection after the old one was lost: HELLO, then every subscription
   * and pending flush again. Rejects (and destroys `conn`) when the handshake fails.
   */
  async reattach(conn: Connection): Promise<void> {
    if (this.#closing) {
      conn.destroy('clean');
      throw new ClosedError('hub client');
    }
    this.conn = conn;
    this.#hubHello = undefined;
    this.#hubBye = false;
    this.#endedBy = undefined;
    await this.#handshake(conn);
    if (this.#paused) conn.pause();
    if (!this.#withdrawn) this.#resubscribeAll();
    for (const ping of this.#flushes.pings()) this.#control(ping);
  }

  async #handshake(conn: Connection): Promise<void> {
    const timeout = this.#options.helloTimeout ?? 5000;
    const hello = new Promise<void>((resolve, reject) => { this.#helloWaiter = { resolve, reject }; });
    conn.consume((frame) => this.#onFrame(frame));
    void conn.closed.then((closed) => this.#onClosed(conn, closed));
    try {
      const helloFrame = encodeHello({
        version: PROTOCOL_VERSION, name: this.#options.name, pid: process.pid,
        maxFrameSize: conn.maxFrameSize, busId: this.#options.busId,
      });
      const sent = conn.send(helloFrame);
      // A durable transport keeps what a new hub needs to continue this session: our HELLO and
      // the current subscriptions (read when it stores them), from right after the HELLO on.
      this.#helloFrame = helloFrame;
      this.#stateConn = conn;
      if (handsBack(conn)) conn.resumeWith(this.#resumeState);
      await sent;
      await awaitHello(hello, conn, timeout);
    } catch (err) {
      this.#helloWaiter = undefined;
      conn.destroy('protocol', err as Error);
      throw this.#closing ? err : endedBeforeHello(err as Error);
    }
  }

  /** The hub's HELLO. */
  get hub(): Hello | undefined {
    return this.#hubHello;
  }

  #onFrame(frame: Uint8Array): void {
    this.counters.received++;
    this.counters.bytesReceived += frame.length;
    // A zero-length frame is valid and carries nothing (docs/protocol.md, Framing).
    if (frame.length === 0) return;
    const fast = decodePubFast(frame);
    if (fast) {
      this.deliver(fast);
      return;
    }
    const msg = decodeFrame(frame);
    // Before the hub's HELLO a hub sends nothing but ERR; on a durable transport a reused name
    // may first get the tail of an earlier session (frames a hub wrote for a client that died).
    // Its PUBs are messages routed to this name (delivered: at least once); its replies to that
    // session (PONG, QPUB for its sids, PEERS, BYE) mean nothing here.
    if (!this.#hubHello && (msg[0] === Op.PONG || msg[0] === Op.QPUB || msg[0] === Op.PEERS || msg[0] === Op.PEERS_DELTA
      || msg[0] === Op.BYE)) return;
    switch (msg[0]) {
      case Op.PUB:
        this.deliver(toPub(msg));
        return;
      case Op.QPUB:
        this.deliverQueued(toPub(decodeFrame(msg[2] as Uint8Array)), msg[1] as number[]);
        return;
      case Op.PONG:
        this.#flushes.pong(msg[1] as number);
        return;
      case Op.HELLO: {
        // A second HELLO on the same connection: a new hub resumed our session (durable transport).
        const resumed = this.#hubHello !== undefined && this.#helloWaiter === undefined;
        this.#hubHello = toHello(msg);
        this.#helloWaiter?.resolve();
        this.#helloWaiter = undefined;
        if (resumed) this.#options.onResumed?.();
        return;
      }
      case Op.PEERS:
        this.#peers.replace(msg[1] as PeerEntry[]);
        return;
      case Op.PEERS_DELTA:
        this.#peers.applyDelta(msg[1] as PeerEntry[], msg[2] as string[]);
        return;
      case Op.BYE:
        this.#hubBye = true;
        return;
      case Op.ERR:
        onHubErr(msg, this.#errTarget);
        return;
      default:
        throw new ProtocolError(`unknown message type=${String(msg[0])} from the hub`);
    }
  }

  /** What an ERR from the hub acts on (./hub-errors.ts). */
  readonly #errTarget: ErrTarget<LocalSub> = {
    sub: (sid) => this.#subs.get(sid),
    forget: (sub) => { this.#subs.forget(sub); },
    failFlushes: (err) => this.abandon(err),
    emit: (event) => {
      this.#endedBy ??= connectionEndError(event);
      this.status.next(event);
    },
  };

  /** Dispatches a PUB to every local non-queue subscription that matches (also the router's direct path). */
  deliver(pub: WireMessage): void {
    this.#subs.deliver(pub);
  }

  /** Dispatches a PUB to the listed queue-group subscriptions only. */
  deliverQueued(pub: WireMessage, sids: readonly number[]): void {
    this.#subs.deliverQueued(pub, sids);
  }

  #onClosed(conn: Connection, ended: Closed): void {
    if (conn !== this.conn) return;
    const closed = closedWith(ended, this.#endedBy);
    const err = closed.error ?? new ClosedError('hub connection');
    this.#helloWaiter?.reject(err);
    this.#helloWaiter = undefined;
    // A reattach follows: pending flushes are re-sent on the new connection.
    if (!this.#closing && this.#options.onLost?.(closedWith(this.#hubBye ? clean(ended) : ended, this.#endedBy))) return;
    this.#flushes.rejectAll(err);
  }

  /** Fails every pending flush (reconnection was given up). */
  abandon(err: Error): void {
    this.#flushes.rejectAll(err);
  }

  subscribe(pattern: string, handler: WireHandler, options: FabricSubscribeOptions = {}): FabricSubscription {
    const sub = this.#subs.add(pattern, handler, options);
    if (!this.#withdrawn) this.#control(encodeSub(sub.id, pattern, sub.queue));
    this.#stateChanged();
    return {
      id: sub.id,
      pattern,
      unsubscribe: () => {
        if (!this.#subs.forget(sub)) return;
        if (!this.#withdrawn) this.#control(encodeUnsub(sub.id));
        this.#stateChanged();
      },
    };
  }

  /**
   * After `reattach`: sends again the PUBs a durable transport handed back from the old
   * connection (accepted there, never taken by a hub), in order. Other frames of the old
   * session (HELLO, SUB, UNSUB, PING, BYE) are not repeated: `reattach` re-sent the current
   * subscriptions and pending flushes.
   */
  resendPublishes(frames: readonly Uint8Array[]): void {
    for (const frame of frames) {
      // Our encoder writes a PUB as fixarray 8 then type 4; anything else is read in full.
      if (!(frame[0] === 0x98 && frame[1] === Op.PUB) && decodeFrame(frame)[0] !== Op.PUB) continue;
      this.counters.sent++;
      this.counters.bytesSent += frame.length;
      this.conn.write(frame);
    }
  }

  /** Re-sends every subscription (after a reconnect to a fresh hub). */
  #resubscribeAll(): void {
    for (const frame of this.#subs.subFrames()) this.#control(frame);
    this.#stateChanged();
  }

  /**
   * Drain, step one: withdraws every subscription from the hub (UNSUB) but keeps dispatching
   * locally, so what the hub routed before it processed the UNSUBs still reaches its handlers
   * (a `flush()` afterwards proves it has arrived).
   */
  withdrawAll(): void {
    this.#withdrawn = true;
    for (const s of this.#subs.all()) this.#control(encodeUnsub(s.id));
    this.#stateChanged();
  }

  #control(frame: Uint8Array): void {
    try {
      this.conn.write(frame);
    } catch {
      // A closed connection: the hub forgets our subscriptions anyway.
    }
  }

  /** Subscriptions changed: a durable transport updates the session's resume state. */
  #stateChanged(): void {
    if (this.conn === this.#stateConn && handsBack(this.conn)) this.conn.resumeWith(this.#resumeState);
  }

  /**
   * `publish` of a message with no replyTo or headers, given as a value and its codec: encoded
   * straight into the connection's buffer where the codec and the connection allow it.
   */
  publishValue(topic: string, codec: Codec, value: unknown): Promise<void> | undefined {
    const direct = this.#options.direct;
    if (direct) {
      // Where nothing tells it apart, routed at once, written in place into each subscriber's
      // connection (./own-now.ts); else small payloads go as ordinary frames over the hub's
      // link (see SMALL_OWN_PAYLOAD), larger ones by reference.
      const n = ownPayloadSize(codec, value);
      const payload = n < 0 ? codec.encode(value) : value;
      const size = n < 0 ? (payload as Uint8Array).length : n;
      const now = this.#sender.publishNow(direct, this.#frameLimit(), topic, codec, payload, size, n < 0);
      if (now === 'routed') return undefined;
      // Routed while full subscribers hold the router: wait, as its other publishers do.
      if (now === 'waits') return direct.untilReading?.();
      const wait = this.#publishOwn(direct, topic, codec, payload, n);
      // Behind the link: a publisher that waits lets the router catch up (then it routes at once again).
      return now === 'behind' ? wait ?? direct.caughtUp?.() : wait;
    }
    return this.#sender.publishValue(this.conn, this.#frameLimit(), topic, codec, value);
  }

  /** The hub's own publish over its link; `payload` is `value` encoded when `n` < 0. */
  #publishOwn(direct: DirectRoute, topic: string, codec: Codec, payload: unknown, n: number): Promise<void> | undefined {
    if (n >= 0 && n <= SMALL_OWN_PAYLOAD) return this.#sender.publishValue(this.conn, this.#frameLimit(), topic, codec, payload);
    if (n >= 0) {
      // Into a pooled buffer (large) or a recycled slab, given back once the router has copied it into every connection.
      const pooled = poolsOwnPayload(n) ? encodePooledPayload(codec, payload, n) : encodeOwnCut(codec, payload, n);
      return this.#sender.publishDirect(direct, this.#frameLimit(), { topic, codec: codec.id, payload: pooled.bytes }, pooled.release);
    }
    const bytes = payload as Uint8Array; // encoded by the codec (it cannot size its encodings)
    const m = { topic, codec: codec.id, payload: bytes };
    // Small once encoded (an object): an ordinary frame too.
    return bytes.length <= SMALL_OWN_PAYLOAD ? this.#sender.publish(this.conn, this.#frameLimit(), m) : this.publish(m);
  }

  publish(m: WireMessage): Promise<void> | undefined {
    const direct = this.#options.direct;
    if (direct) return this.#sender.publishDirect(direct, this.#frameLimit(), m);
    return this.#sender.publish(this.conn, this.#frameLimit(), m);
  }

  /** The largest frame this connection and the hub both take. */
  #frameLimit(): number {
    const own = this.conn.maxFrameSize;
    return this.#hubHello ? Math.min(this.#hubHello.maxFrameSize, own) : own;
  }

  /** Resolves once the hub has routed everything sent before (PING / PONG, ./flush-barrier.ts). */
  flush(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    return this.#flushes.flush((frame) => this.conn.write(frame), options);
  }

  peers(): PeerDescription[] {
    return this.#peers.list;
  }

  pause(): void {
    this.#paused = true;
    this.conn.pause();
  }

  resume(): void {
    this.#paused = false;
    this.conn.resume();
  }

  /** Says BYE (a clean leave), then closes the connection after flushing. */
  async close(): Promise<void> {
    this.#closing = true;
    try {
      this.conn.write(encodeBye());
    } catch {
      // already closed
    }
    await this.conn.close();
    this.status.complete();
  }
}

/** A connection end after the hub's BYE: clean, still carrying what a durable transport handed back. */
function clean(closed: Closed): Closed {
  const { unsent } = closed as Partial<ClosedWithUnsent>;
  if (!unsent) return { reason: 'clean' };
  const handedBack: ClosedWithUnsent = { reason: 'clean', unsent };
  return handedBack;
}
