/**
 * The hub's router: accepts connections from any Listener, keeps each peer's subscriptions in a
 * subject index and forwards each PUB frame, unchanged and undecoded, once per interested
 * connection (queue groups: to one member each, round robin). Clients dispatch locally.
 *
 * Queue groups and departures: a message is a member's once the router has written it to that
 * member's connection or outbox (`write` accepted it). A member that unsubscribes, leaves or dies is
 * taken out of the group when the router processes its UNSUB or sees its connection end; a
 * write that fails because the member's connection is already gone goes to the next member, so
 * no message that was not handed to a member is lost.
 *
 * Presence (./presence.ts): a client that joins gets the whole list (PEERS); the others get
 * coalesced changes (PEERS_DELTA); the list is published on `$sys.peers` (msgpack, an array of
 * `{ id, name, pid, transport, claimedPid, uid }`) when someone subscribes to it.
 *
 * Backpressure: a subscriber whose connection fills holds the router (it stops reading from every
 * peer: publishers wait, nothing is lost) for at most `backpressureGrace` ms; past that, what the
 * router writes to it waits in its outbox (./peer-outbox.ts) and the router goes on, so a reader
 * that stops reading does not stop anyone else. A peer whose outbox passes `maxPendingBytes`, or
 * whose connection stays full past `maxStall`, is a slow consumer: it gets ERR
 * `ERR_UNIBUS_SLOW_CONSUMER`, then its connection is closed. When all outboxes together pass
 * `maxPendingTotal` the router also stops reading from every peer until half of that has drained.
 * Limits: ./limits.ts. Errors a peer is told about: ./router-errors.ts. `$sys.stats`: ./stats.ts.
 * Permissions (a hub policy): ../policy/gate.ts.
 * @module
 */
import { Subject } from 'rxjs';
import { LimitError, PermissionDeniedError, ProtocolError, SlowConsumerError } from '../../errors.js';
import type { Connection, Listener } from '../../transports/transport.js';
import { msgpackCodec } from '../../codecs/index.js';
import { STATUS_HEADER, STATUS_NO_RESPONDERS, type FabricStatus, type PeerDescription } from '../fabric.js';
import {
  Op, PROTOCOL_VERSION, decodeFrame, encodeBye, encodeErr, encodeHello, encodePong, encodeQpubHeader,
  toHello, toPub, type Hello, type Pub,
} from '../protocol/messages.js';
import { PubEncoder } from '../protocol/pub-encoder.js';
import { decodePubFast } from '../protocol/pub-decoder.js';
import { checkPattern, checkTopic } from '../subjects/grammar.js';
import { SubjectIndex } from '../subjects/subject-index.js';
import { RouterPeer, type LocalDelivery, type SubEntry } from './router-peer.js';
import { StatsCollector } from './stats.js';
import { PolicyGate, inProcessScheme } from '../policy/gate.js';
import { excluded } from '../policy/decide.js';
import type { HubPolicy } from '../policy/hub-policy.js';
import { closeAfterErr, sendErr } from './router-errors.js';
import { describePeer, isReservedTopic } from './router-presence.js';
import { checkHello } from './hello-rules.js';
import { PeerOutbox, type OutboxOverflow } from './peer-outbox.js';
import { Presence } from './presence.js';
import { MAX_QUEUE_NAME_LENGTH, resolveHubLimits, type HubLimits } from './limits.js';
import { sendErrThenClose } from './err-close.js';

/** Topic on which a hub publishes who is connected, on every join and leave. */
export const SYS_PEERS = '$sys.peers';

export interface RouterOptions {
  /** Hub name sent in HELLO. */
  name: string;
  /** Transport scheme, for presence. */
  transport: string;
  /** ms a peer may stay full before it is disconnected (default 5000). */
  maxStall?: number;
  /** Per-connection and hub-wide limits (./limits.ts); `maxStall` above also sets them. */
  limits?: Partial<HubLimits>;
  /** ms a new connection has to send HELLO (default 5000). */
  helloTimeout?: number;
  /** ms between `$sys.stats` messages while someone subscribes (default 1000). */
  statsInterval?: number;
  /** Per-user permissions (docs/security.md); undefined: every peer may do everything. */
  policy?: HubPolicy;
}

export class HubRouter {
  readonly status = new Subject<FabricStatus>();
  readonly #options: RouterOptions;
  readonly #index = new SubjectIndex<SubEntry>();
  readonly #peers = new Set<RouterPeer>();
  readonly #limits: HubLimits;
  readonly #presence: Presence;
  /** Bytes waiting in every peer's outbox; past `maxPendingTotal` the router stops reading. */
  #pendingTotal = 0;
  #overCap = false;
  /** Peers holding the router within their `backpressureGrace`: it does not read meanwhile. */
  readonly #holding = new Set<RouterPeer>();
  readonly #queueTurns = new Map<string, number>();
  readonly #encoder: PubEncoder;
  #stamp = 0;
  #sysSeq = 0;
  #holds = 0;
  #nextPeer = 1;
  #closed = false;
  /** `$sys.stats`: counts only while someone subscribes to it (./stats.ts). */
  readonly #stats: StatsCollector;
  counters = { routed: 0, protocolErrors: 0, slowConsumers: 0, oversizeDrops: 0, permissionDenied: 0 };
  readonly #gate: PolicyGate | undefined;

  constructor(options: RouterOptions) {
    this.#options = options;
    this.#encoder = new PubEncoder(`hub:${options.name}`);
    this.#limits = resolveHubLimits({ ...(options.maxStall !== undefined ? { maxStall: options.maxStall } : {}), ...options.limits });
    this.#presence = new Presence({
      list: () => this.peers(),
      // Not to the hub's own bus: its events come from this router's status already.
      broadcast: (frame) => { for (const p of this.#peers) if (p.hello && !p.local) this.#write(p, frame); },
      wantsList: () => this.#index.match(SYS_PEERS).length > 0,
      publishList: (list) => this.#publishSys(SYS_PEERS, list),
    });
    this.#stats = new StatsCollector({
      name: options.name, transport: options.transport, counters: this.counters,
      peers: () => this.#peers, describe: (p) => this.#describe(p), isFull: (p) => this.#holding.has(p) || p.outbox.pendingBytes > 0,
      subscribers: (topic) => this.#index.match(topic).length, publish: (topic, value) => this.#publishSys(topic, value),
    }, options.statsInterval);
    this.status.subscribe((s) => this.#stats.event(s));
    this.#gate = options.policy && new PolicyGate(options.policy, {
      hubName: options.name, peers: () => this.#peers, write: (p, f) => { this.#write(p, f); },
      emit: (s) => this.status.next(s), describe: (p) => this.#describe(p), counters: this.counters,
      drop: (e) => this.#index.remove(e.pattern, e),
    }, inProcessScheme(options.transport));
  }

  /** Accepts every connection the listener yields, until it ends. */
  serve(listener: Listener): Promise<void> {
    return (async () => {
      for await (const conn of listener) this.attach(conn);
    })();
  }

  /**
   * Adds one connection; it must say HELLO first. `local` is the hub's own bus: PUBs reach it
   * by a direct call (no copy, no second decode); control frames still use `conn`.
   */
  attach(conn: Connection, local?: LocalDelivery): RouterPeer {
    const peer = new RouterPeer(`p${this.#nextPeer++}`, conn, local);
    // The hub's own bus is never a slow consumer: its frames here are control frames only.
    peer.outbox = new PeerOutbox(conn, {
      maxPendingBytes: local ? Infinity : this.#limits.maxPendingBytes,
      maxStall: local ? 2 ** 31 - 1 : this.#limits.maxStall,
      backpressureGrace: this.#limits.backpressureGrace,
      onHold: (holding) => this.#hold(peer, holding),
      onOverflow: (why) => this.#slowConsumer(peer, why),
      onPending: (delta) => this.#pending(delta),
    });
    this.#peers.add(peer);
    const helloTimer = setTimeout(() => {
      if (!peer.hello) this.#fail(peer, new ProtocolError('no HELLO within helloTimeout'));
    }, this.#options.helloTimeout ?? 5000);
    helloTimer.unref();
    conn.consume((frame) => {
      // Frames still in a read after the router gave up on this peer mean nothing.
      if (peer.failure || peer.slowError) return;
      try {
        this.#onFrame(peer, frame);
      } catch (err) {
        this.#fail(peer, err instanceof Error ? err : new ProtocolError(String(err)));
      }
    }, (err) => this.#fail(peer, err));
    void conn.closed.then((closed) => {
      clearTimeout(helloTimer);
      const f = peer.failure;
      if (f) this.#detach(peer, f.reason, f.error);
      else this.#detach(peer, closed.reason === 'clean' || peer.saidBye ? 'clean' : closed.reason, closed.error);
    });
    if (!this.#reading()) conn.pause();
    return peer;
  }

  /** Stops (+1) or restarts (-1) reading from every peer: the hub's own buffers are full. */
  holdInput(delta: 1 | -1): void {
    const before = this.#reading();
    this.#holds += delta;
    this.#setReading(before);
  }

  #reading(): boolean {
    return !this.#overCap && this.#holds === 0 && this.#holding.size === 0;
  }

  #setReading(before: boolean): void {
    const now = this.#reading();
    if (now === before || this.#closed) return;
    for (const p of this.#peers) if (now && !p.failure && !p.slowError) p.conn.resume(); else p.conn.pause();
  }

  #onFrame(peer: RouterPeer, frame: Uint8Array): void {
    // A zero-length frame is valid and carries nothing (docs/protocol.md, Framing).
    if (frame.length === 0) return;
    if (peer.hello) {
      const fast = decodePubFast(frame);
      if (fast) {
        this.#publish(peer, frame, fast);
        return;
      }
    }
    const msg = decodeFrame(frame);
    const op = msg[0];
    if (!peer.hello) {
      if (op !== Op.HELLO) throw new ProtocolError(`expected HELLO first, got type=${String(op)}`);
      this.#welcome(peer, toHello(msg));
      return;
    }
    switch (op) {
      case Op.PUB: {
        this.#publish(peer, frame, toPub(msg));
        return;
      }
      case Op.SUB: {
        const [, sid, pattern, queue] = msg;
        if (typeof sid !== 'number' || typeof pattern !== 'string' || (queue != null && typeof queue !== 'string')) {
          throw new ProtocolError('malformed SUB');
        }
        checkPattern(pattern);
        if (typeof queue === 'string' && (queue.length === 0 || queue.length > MAX_QUEUE_NAME_LENGTH)) {
          throw new ProtocolError(`queue name must be 1-${MAX_QUEUE_NAME_LENGTH} characters (got ${queue.length})`);
        }
        const entry: SubEntry = { peer, sid, pattern, queue: (queue as string | null) ?? undefined };
        const old = peer.subs.get(sid);
        if (!old && peer.subs.size >= this.#limits.maxSubscriptions) {
          this.#refuse(peer, sid, new LimitError('maxSubscriptions', `this connection holds ${peer.subs.size} subscriptions (limit ${this.#limits.maxSubscriptions}); SUB sid=${sid} pattern=${pattern} refused`));
          return;
        }
        if (old) this.#index.remove(old.pattern, old);
        if (peer.grant && !this.#gate!.maySubscribe(peer, entry)) {
          peer.subs.delete(sid);
          return;
        }
        peer.subs.set(sid, entry);
        this.#index.add(pattern, entry);
        this.#stats.recheck();
        return;
      }
      case Op.UNSUB: {
        if (typeof msg[1] !== 'number') throw new ProtocolError('malformed UNSUB');
        const entry = peer.subs.get(msg[1]);
        if (entry) {
          peer.subs.delete(entry.sid);
          this.#index.remove(entry.pattern, entry);
          this.#stats.recheck();
        }
        return;
      }
      case Op.PING:
        if (typeof msg[1] !== 'number') throw new ProtocolError('malformed PING');
        // Everything this peer sent before the PING has been routed: the flush barrier.
        this.#write(peer, encodePong(msg[1]));
        return;
      case Op.BYE:
        peer.saidBye = true;
        return;
      case Op.CREDIT:
      case Op.PONG:
        return;
      default:
        throw new ProtocolError(`unknown message type=${String(op)}`);
    }
  }

  #welcome(peer: RouterPeer, hello: Hello): void {
    checkHello(hello);
    const refused = this.#gate?.admit(peer, hello);
    if (refused) {
      // Not admitted: read nothing more from it, tell it why, hang up once that is sent.
      sendErr(peer, refused.code, refused.message);
      peer.conn.pause();
      void peer.conn.close();
      return;
    }
    peer.hello = hello;
    peer.credentials = peer.conn.peerCredentials;
    peer.frameLimit = Math.min(peer.frameLimit, hello.maxFrameSize);
    this.#write(peer, encodeHello({
      version: PROTOCOL_VERSION, name: this.#options.name, pid: process.pid,
      maxFrameSize: peer.conn.maxFrameSize, busId: `hub:${this.#options.name}`,
    }));
    const me = this.#describe(peer);
    this.status.next({ type: 'peer-joined', peer: me });
    if (!peer.local) this.#write(peer, this.#presence.snapshot());
    this.#presence.joined(me);
  }

  /** A client's PUB: `$sys.` topics are the hub's own (ERR, the connection stays open). */
  #publish(peer: RouterPeer, frame: Uint8Array, pub: Pub): void {
    checkTopic(pub.topic);
    if (isReservedTopic(pub.topic) && !peer.local) {
      sendErr(peer, 'ERR_UNIBUS_PERMISSION', new PermissionDeniedError(
        `topic=${pub.topic} is reserved for the hub ($sys.): PUB seq=${pub.seq} dropped`).message);
      return;
    }
    if (peer.grant && !this.#gate!.mayPublish(peer, pub)) return;
    this.#route(peer, frame, pub);
  }

  #route(from: RouterPeer | undefined, frame: Uint8Array, pub: Pub): void {
    if (this.#stats.on) this.#stats.routed(from, pub.topic, frame.length);
    const entries = this.#index.match(pub.topic);
    if (entries.length === 0) {
      if (pub.replyTo !== undefined && from) this.#noResponders(from, pub.replyTo);
      return;
    }
    this.counters.routed++;
    const stamp = ++this.#stamp;
    let groups: Map<string, SubEntry[]> | undefined;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (e.except !== undefined && excluded(e.except, pub.topic)) continue;
      if (e.queue !== undefined) {
        groups ??= new Map();
        const g = groups.get(e.queue);
        if (g) g.push(e);
        else groups.set(e.queue, [e]);
      } else if (e.peer.stamp !== stamp) {
        e.peer.stamp = stamp;
        if (pub.replyTo !== undefined && this.#gate) this.#gate.grantReply(from, e.peer, pub.replyTo);
        if (e.peer.local) e.peer.local.deliver(pub);
        else this.#write(e.peer, frame);
      }
    }
    if (groups) this.#routeQueues(groups, frame, pub, from);
  }

  /**
   * One member per queue group, round robin; one QPUB per chosen peer with its sids. A member
   * whose connection refuses the write (already gone) is skipped for the next one, so the
   * message is handed to some live member when there is one.
   */
  #routeQueues(groups: Map<string, SubEntry[]>, frame: Uint8Array, pub: Pub, from?: RouterPeer): void {
    let chosen = new Map<RouterPeer, number[]>();
    let retry: Map<string, SubEntry[]> | undefined;
    for (;;) {
      for (const [queue, members] of groups) {
        const turn = this.#queueTurns.get(queue) ?? 0;
        this.#queueTurns.set(queue, turn + 1);
        const e = members[turn % members.length]!;
        const sids = chosen.get(e.peer);
        if (sids) sids.push(e.sid);
        else chosen.set(e.peer, [e.sid]);
      }
      for (const [peer, sids] of chosen) {
        if (pub.replyTo !== undefined && this.#gate) this.#gate.grantReply(from, peer, pub.replyTo);
        if (peer.local) peer.local.deliverQueued(pub, sids);
        else if (!this.#write(peer, [encodeQpubHeader(sids, frame.length), frame])) {
          // Not handed: choose again in each group this member was chosen for, without it.
          for (const [queue, members] of groups) {
            if (!members.some((m) => m.peer === peer && sids.includes(m.sid))) continue;
            const rest = members.filter((m) => m.peer !== peer);
            if (rest.length > 0) (retry ??= new Map()).set(queue, rest);
          }
        }
      }
      if (!retry) return;
      groups = retry;
      retry = undefined;
      chosen = new Map();
    }
  }

  #noResponders(to: RouterPeer, replyTo: string): void {
    this.#write(to, this.#encoder.encode(replyTo, 0, 0, new Uint8Array(0), undefined,
      { [STATUS_HEADER]: STATUS_NO_RESPONDERS }));
  }

  /**
   * Hands `frame` to `peer` (its connection, or its outbox while the connection is full); false
   * when it was not handed (larger than the peer takes, closing, or dropped).
   */
  #write(peer: RouterPeer, frame: Uint8Array | Uint8Array[]): boolean {
    let size = 0;
    if (frame instanceof Uint8Array) size = frame.length;
    else for (let i = 0; i < frame.length; i++) size += frame[i]!.length;
    if (size > peer.frameLimit) return this.#oversize(peer, size);
    if (!peer.outbox.write(frame)) {
      this.#stats.dropped(peer);
      return false;
    }
    if (this.#stats.on) this.#stats.wrote(peer, frame);
    return true;
  }

  /** A frame larger than the peer announced it takes: skipped, counted, and the peer told. */
  #oversize(peer: RouterPeer, size: number): false {
    peer.dropped++;
    this.counters.oversizeDrops++;
    sendErr(peer, 'ERR_UNIBUS_FRAME_TOO_LARGE', `a frame of ${size} bytes for this connection exceeds`
      + ` its maxFrameSize=${peer.frameLimit}: not sent (${peer.dropped} so far)`);
    return false;
  }

  /** A peer starts or stops holding the router (its connection is full, within its grace). */
  #hold(peer: RouterPeer, holding: boolean): void {
    const before = this.#reading();
    if (holding) this.#holding.add(peer);
    else this.#holding.delete(peer);
    this.#setReading(before);
  }

  /** The hub-wide total of bytes waiting in outboxes changed: stop or restart reading. */
  #pending(delta: number): void {
    this.#pendingTotal += delta;
    const before = this.#reading();
    if (!this.#overCap && this.#pendingTotal > this.#limits.maxPendingTotal) this.#overCap = true;
    else if (this.#overCap && this.#pendingTotal <= this.#limits.maxPendingTotal / 2) this.#overCap = false;
    else return;
    this.#setReading(before);
  }

  /**
   * Drops a peer that reads too slowly: what waits for it is discarded, it stops receiving at
   * once, gets ERR `ERR_UNIBUS_SLOW_CONSUMER` after what its connection already holds, then the
   * connection is closed (after a bounded flush). Everyone else goes on.
   */
  #slowConsumer(peer: RouterPeer, why: OutboxOverflow): void {
    if (peer.slowError || !this.#peers.has(peer)) return;
    this.#retire(peer);
    const dropped = peer.outbox.discarded;
    this.counters.slowConsumers++;
    const bound = why === 'bytes' ? `more than maxPendingBytes=${this.#limits.maxPendingBytes} waited for it`
      : `its connection stayed full for maxStall=${this.#limits.maxStall}ms`;
    const err = new SlowConsumerError(`peer=${peer.id} name=${peer.hello?.name ?? '?'}: ${bound}; ${dropped} frames not delivered`);
    peer.slowError = err;
    peer.conn.pause();
    this.status.next({ type: 'slow-consumer', peer: this.#describe(peer), detail: err.message });
    sendErrThenClose(peer.conn, err, this.#limits.maxStall);
  }

  /** ERR about one SUB; the connection stays open. */
  #refuse(peer: RouterPeer, sid: number, err: LimitError): void {
    this.#write(peer, encodeErr(err.code, err.message.slice('Limit reached: '.length), { sid }));
  }

  #fail(peer: RouterPeer, err: Error): void {
    this.#closeAfterErr(peer, 'protocol', err);
  }

  /** ERR, then close once flushed; meanwhile nothing is routed to the peer and it holds no one. */
  #closeAfterErr(peer: RouterPeer, reason: 'protocol', err: Error): void {
    if (!closeAfterErr(peer, reason, err)) return;
    this.#retire(peer);
  }

  /** Stops routing to `peer`: what waits in its outbox is dropped, its subscriptions go. */
  #retire(peer: RouterPeer): void {
    peer.outbox.shut();
    this.#hold(peer, false);
    for (const e of peer.subs.values()) this.#index.remove(e.pattern, e);
    peer.subs.clear();
  }

  #detach(peer: RouterPeer, reason: string, error?: Error): void {
    if (!this.#peers.delete(peer)) return;
    this.#retire(peer);
    this.#stats.left(peer);
    this.#stats.recheck();
    if (reason === 'protocol') this.counters.protocolErrors++;
    if (peer.slowError) {
      reason = 'slow-consumer';
      error = peer.slowError;
    }
    if (peer.hello) {
      const me = this.#describe(peer);
      this.status.next(error ? { type: 'peer-left', peer: me, reason, error } : { type: 'peer-left', peer: me, reason });
      this.#presence.left(me);
    }
  }

  #describe(peer: RouterPeer): PeerDescription {
    return describePeer(peer, this.#options.transport);
  }

  /** Who is connected (peers that said HELLO). */
  peers(): PeerDescription[] {
    return [...this.#peers].filter((p) => p.hello).map((p) => this.#describe(p));
  }

  /** Publishes `value` (msgpack) on a `$sys.` topic, with the hub as publisher. */
  #publishSys(topic: string, value: unknown): void {
    if (this.#closed) return;
    const payload = msgpackCodec.encode(value);
    const seq = ++this.#sysSeq;
    const chunks = this.#encoder.encode(topic, msgpackCodec.id, seq, payload, undefined, undefined);
    const pubFrame = chunks instanceof Uint8Array ? chunks : Buffer.concat(chunks);
    this.#route(undefined, pubFrame, {
      topic, codec: msgpackCodec.id, publisher: `hub:${this.#options.name}`, seq,
      replyTo: undefined, headers: undefined, payload,
    });
  }

  /** Says BYE to every peer (a clean stop, not a death), then closes each connection after it flushed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stats.stop();
    this.#gate?.close();
    this.#presence.close();
    const bye = encodeBye();
    for (const p of this.#peers) {
      // What waits in an outbox goes into the connection, whose close() flushes it (bounded).
      p.outbox.spill();
      if (p.hello && !p.local) this.#write(p, bye);
    }
    await Promise.all([...this.#peers].map((p) => p.conn.close()));
    this.status.complete();
  }
}
