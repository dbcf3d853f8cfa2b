/**
 * The client side of the unibus protocol over one Connection: HELLO, subscriptions (sent to the
 * hub, dispatched locally), PUB encoding, the PING/PONG flush barrier, presence.
 *
 * A client outlives its connection: after a loss, `reattach(conn)` says HELLO on a new one,
 * re-sends every subscription and every pending flush PING; local subscriptions never notice.
 * @module
 */
import { Subject } from 'rxjs';
import { ClosedError, ProtocolError, TimeoutError, AbortedError, PolicyDeniedError } from '../../errors.js';
import { deniedDetail, type DeniedDetail } from '../policy/denied-frame.js';
import { hubErrorEvent } from './hub-errors.js';
import type { Closed, Connection } from '../../transports/transport.js';
import type { Codec } from '../../codecs/codec.js';
import type {
  FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription, WireHandler, WireMessage,
} from '../fabric.js';
import {
  Op, PROTOCOL_VERSION, decodeFrame, encodeBye, encodeHello, encodePing, encodeSub, encodeUnsub, toHello,
  toPub, type Hello, type PeerEntry,
} from '../protocol/messages.js';
import { PubSender } from './pub-sender.js';
import { decodePubFast } from '../protocol/pub-decoder.js';
import { SubjectIndex } from '../subjects/subject-index.js';

export interface ClientOptions {
  name: string;
  busId: string;
  transport: string;
  helloTimeout?: number;
  /**
   * The transport keeps frames across crashes (`file://`): `publish()` then resolves once the
   * frame is in the medium (the connection's `drained()`), not when it is accepted in memory,
   * so a process killed right after a publish resolved loses nothing.
   */
  durable?: boolean;
  /**
   * Called when the connection ends without `close()`. Returns true when the owner will
   * `reattach` a new one: pending flushes then wait for it instead of failing.
   */
  onLost?: (closed: Closed) => boolean;
  /**
   * Called when a new hub continued this connection's session after the old one died (a durable
   * transport's resume: the hub says HELLO again on the same connection). Nothing was lost.
   */
  onResumed?: () => void;
}

interface LocalSub {
  readonly id: number;
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly handler: WireHandler;
  readonly onError: ((err: Error) => void) | undefined;
}

type Pending = { resolve: () => void; reject: (err: Error) => void };

/** Rounds of `helloTimeout` a client waits for a live but slow hub on a durable medium. */
const HELLO_PATIENCE = 12;

export class HubClient {
  readonly status = new Subject<FabricStatus>();
  /** The current connection (replaced by `reattach` after a reconnect). */
  conn: Connection;
  readonly #options: ClientOptions;
  readonly #sender: PubSender;
  readonly #plain = new SubjectIndex<LocalSub>();
  readonly #subs = new Map<number, LocalSub>();
  readonly #pings = new Map<number, Pending>();
  #hubHello: Hello | undefined;
  #helloWaiter: Pending | undefined;
  #peers: PeerDescription[] = [];
  #nextSid = 1;
  #nextPing = 1;
  #paused = false;
  #closing = false;
  /** The hub said BYE on the current connection: its end is a clean stop. */
  #hubBye = false;
  /** Subscriptions are withdrawn from the hub (drain): never re-sent. */
  #withdrawn = false;
  readonly counters = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };
  /** Our HELLO on the connection whose resume state we keep (`Connection.resumeWith`). */
  #helloFrame: Uint8Array | undefined;
  #stateConn: Connection | undefined;
  readonly #resumeState = (): Uint8Array[] => {
    const hello = this.#helloFrame!;
    if (this.#withdrawn) return [hello];
    return [hello, ...[...this.#subs.values()].map((s) => encodeSub(s.id, s.pattern, s.queue))];
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
    await this.#handshake(conn);
    if (this.#paused) conn.pause();
    if (!this.#withdrawn) this.resubscribeAll();
    for (const id of this.#pings.keys()) this.#control(encodePing(id));
  }

  async #handshake(conn: Connection): Promise<void> {
    const timeout = this.#options.helloTimeout ?? 5000;
    const hello = new Promise<void>((resolve, reject) => { this.#helloWaiter = { resolve, reject }; });
    conn.consume((frame) => this.#onFrame(frame));
    void conn.closed.then((closed) => this.#onClosed(conn, closed));
    let timer: NodeJS.Timeout | undefined;
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
      conn.resumeWith?.(this.#resumeState);
      await sent;
      for (let round = 1; ; round++) {
        const late = await Promise.race([hello.then(() => false), new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), timeout);
        })]);
        clearTimeout(timer);
        if (!late) break;
        // A durable medium whose hub is alive but slow (loaded, or a restarted hub still reading
        // its spool) answers later: wait on (bounded) rather than fail, or retry into the same log.
        if (!conn.hubAlive?.() || round >= HELLO_PATIENCE) {
          throw new TimeoutError(round > 1 ? 'waiting for the hub HELLO (its hub is alive but silent)' : 'waiting for the hub HELLO', timeout * round);
        }
      }
    } catch (err) {
      this.#helloWaiter = undefined;
      conn.destroy('protocol', err as Error);
      throw err;
    } finally {
      clearTimeout(timer);
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
      case Op.PONG: {
        const p = this.#pings.get(msg[1] as number);
        this.#pings.delete(msg[1] as number);
        p?.resolve();
        return;
      }
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
        this.#updatePeers((msg[1] as PeerEntry[]).map(toPeer));
        return;
      case Op.PEERS_DELTA:
        this.#applyPeersDelta((msg[1] as PeerEntry[]).map(toPeer), msg[2] as string[]);
        return;
      case Op.BYE:
        this.#hubBye = true;
        return;
      case Op.ERR: {
        const denied = deniedDetail(msg);
        if (denied) {
          this.#denied(denied);
          return;
        }
        // An ERR about one subscription (detail `{ sid }`) ends that subscription only.
        const detail = msg[3] as { sid?: unknown } | null | undefined;
        const sid = typeof detail === 'object' && detail !== null && typeof detail.sid === 'number' ? detail.sid : undefined;
        const sub = sid !== undefined ? this.#subs.get(sid) : undefined;
        const event = hubErrorEvent(msg[1], msg[2], sub !== undefined);
        if (sub && event.type === 'error') {
          this.#forget(sub);
          if (sub.onError) sub.onError(event.error);
          else this.status.next(event);
          return;
        }
        this.status.next(event);
        return;
      }
      default:
        throw new ProtocolError(`unknown message type=${String(msg[0])} from the hub`);
    }
  }

  /**
   * The hub's policy refused something. A subscription (sid) ends with the error. A publish
   * already resolved (publish() resolves on local acceptance), so the error fails every flush
   * pending now (each was sent after that PUB: the hub answers in order) and is an `error` event.
   */
  #denied(d: DeniedDetail): void {
    const err = new PolicyDeniedError(d.action, d.subject, d.rule);
    if (d.sid !== undefined) {
      const sub = this.#subs.get(d.sid);
      if (!sub || sub.pattern !== d.subject) return;
      this.#subs.delete(sub.id);
      if (sub.queue === undefined) this.#plain.remove(sub.pattern, sub);
      sub.onError?.(err);
      return;
    }
    for (const p of [...this.#pings.values()]) p.reject(err);
    this.#pings.clear();
    this.status.next({ type: 'error', error: err });
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

  /**
   * Presence changes (PEERS_DELTA), applied idempotently: a joined id already known or a left id
   * unknown is ignored (the snapshot a client got when it joined may already hold them).
   */
  #applyPeersDelta(joined: PeerDescription[], left: readonly string[]): void {
    const known = new Set(this.#peers.map((p) => p.id));
    const added = joined.filter((p) => !known.has(p.id));
    const gone = new Set(left);
    const leaving = [...this.#peers, ...added].filter((p) => gone.has(p.id));
    if (added.length === 0 && leaving.length === 0) return;
    this.#peers = [...this.#peers, ...added].filter((p) => !gone.has(p.id));
    for (const p of leaving) if (known.has(p.id)) this.status.next({ type: 'peer-left', peer: p, reason: 'left' });
    for (const p of added) if (!gone.has(p.id)) this.status.next({ type: 'peer-joined', peer: p });
  }

  /** Presence: the hub's new list, and a peer-joined / peer-left event per difference. */
  #updatePeers(next: PeerDescription[]): void {
    const key = (p: PeerDescription): string => `${p.id}|${p.name}|${p.pid ?? ''}`;
    const before = new Map(this.#peers.map((p) => [key(p), p]));
    const after = new Set(next.map(key));
    this.#peers = next;
    for (const [k, p] of before) if (!after.has(k)) this.status.next({ type: 'peer-left', peer: p, reason: 'left' });
    for (const p of next) if (!before.has(key(p))) this.status.next({ type: 'peer-joined', peer: p });
  }

  #onClosed(conn: Connection, closed: Closed): void {
    if (conn !== this.conn) return;
    const err = closed.error ?? new ClosedError('hub connection');
    this.#helloWaiter?.reject(err);
    this.#helloWaiter = undefined;
    // A reattach follows: pending flushes are re-sent on the new connection.
    if (!this.#closing && this.#options.onLost?.(this.#hubBye ? clean(closed) : closed)) return;
    for (const p of this.#pings.values()) p.reject(err);
    this.#pings.clear();
  }

  /** Fails every pending flush (reconnection was given up). */
  abandon(err: Error): void {
    for (const p of [...this.#pings.values()]) p.reject(err);
    this.#pings.clear();
  }

  subscribe(pattern: string, handler: WireHandler, options: FabricSubscribeOptions = {}): FabricSubscription {
    const sub: LocalSub = { id: this.#nextSid++, pattern, queue: options.queue, handler, onError: options.onError };
    if (sub.queue === undefined) this.#plain.add(pattern, sub);
    this.#subs.set(sub.id, sub);
    if (!this.#withdrawn) this.#control(encodeSub(sub.id, pattern, sub.queue));
    this.#stateChanged();
    return {
      id: sub.id,
      pattern,
      unsubscribe: () => {
        if (!this.#forget(sub)) return;
        if (!this.#withdrawn) this.#control(encodeUnsub(sub.id));
        this.#stateChanged();
      },
    };
  }

  /** Drops a local subscription (no UNSUB); false when it was already gone. */
  #forget(sub: LocalSub): boolean {
    if (!this.#subs.delete(sub.id)) return false;
    if (sub.queue === undefined) this.#plain.remove(sub.pattern, sub);
    return true;
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
  resubscribeAll(): void {
    for (const s of this.#subs.values()) this.#control(encodeSub(s.id, s.pattern, s.queue));
    this.#stateChanged();
  }

  /**
   * Drain, step one: withdraws every subscription from the hub (UNSUB) but keeps dispatching
   * locally, so what the hub routed before it processed the UNSUBs still reaches its handlers
   * (a `flush()` afterwards proves it has arrived).
   */
  withdrawAll(): void {
    this.#withdrawn = true;
    for (const s of this.#subs.values()) this.#control(encodeUnsub(s.id));
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
    if (this.conn === this.#stateConn) this.conn.resumeWith?.(this.#resumeState);
  }

  /**
   * `publish` of a message with no replyTo or headers, given as a value and its codec: encoded
   * straight into the connection's buffer where the codec and the connection allow it.
   */
  publishValue(topic: string, codec: Codec, value: unknown): Promise<void> | undefined {
    return this.#sender.publishValue(this.conn, this.#frameLimit(), topic, codec, value);
  }

  publish(m: WireMessage): Promise<void> | undefined {
    return this.#sender.publish(this.conn, this.#frameLimit(), m);
  }

  /** The largest frame this connection and the hub both take. */
  #frameLimit(): number {
    const own = this.conn.maxFrameSize;
    return this.#hubHello ? Math.min(this.#hubHello.maxFrameSize, own) : own;
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

/** A PEERS / PEERS_DELTA entry: pid 0 means the transport could not prove it; the HELLO pid is only a claim. */
function toPeer([id, name, pid, transport, claimedPid, uid]: PeerEntry): PeerDescription {
  return {
    id, name, transport, ...(pid ? { pid } : {}), ...(uid != null ? { uid } : {}),
    ...(claimedPid ? { claimedPid } : {}),
  };
}

/** A connection end after the hub's BYE: clean, still carrying what a durable transport handed back. */
function clean(closed: Closed): Closed {
  return closed.unsent ? { reason: 'clean', unsent: closed.unsent } : { reason: 'clean' };
}
