/**
 * The hub's router: accepts connections from any Listener, keeps each peer's subscriptions in a
 * subject index and forwards each PUB frame, unchanged and undecoded, once per interested
 * connection (queue groups: to one member each, round robin: ./router-queues.ts). Clients
 * dispatch locally. Frames from peers: ./router-frames.ts; SUB/UNSUB: ./router-subs.ts. What the hub publishes itself: ./router-sys.ts.
 *
 * Presence (./presence.ts): a client that joins gets the whole list (PEERS); the others get
 * coalesced changes (PEERS_DELTA); the list is published on `$sys.peers` (msgpack, an array of
 * `{ id, name, pid, transport, claimedPid, uid }`) when someone subscribes to it.
 *
 * Backpressure (./router-flow.ts): a full subscriber holds the router for at most
 * `backpressureGrace` ms, then what is written to it waits in its outbox (./peer-outbox.ts); a
 * peer past `maxPendingBytes` or `maxStall` is a slow consumer: ERR, then its connection closed.
 * Limits: ./limits.ts. Errors a peer is told about: ./router-errors.ts. `$sys.stats`: ./stats.ts.
 * Permissions (a hub policy): ../policy/gate.ts.
 * @module
 */
import { Subject } from '../../rx.js';
import { LimitError, PermissionDeniedError, ProtocolError } from '../../errors.js';
import type { Connection, Listener } from '../../transports/transport.js';
import { provenPeer, reportsAdmission } from '../../transports/capabilities.js';
import type { FabricStatus, PeerDescription } from '../fabric.js';
import { PROTOCOL_VERSION, encodeBye, encodeErr, encodeHello, type Hello, type Pub } from '../protocol/messages.js';
import { onPeerFrame, type FrameTarget } from './router-frames.js';
import { checkTopic } from '../subjects/grammar.js';
import type { SubjectIndex } from '../subjects/subject-index.js';
import { RouterPeer, type LocalDelivery, type SubEntry } from './router-peer.js';
import { StatsCollector } from './stats.js';
import { PolicyGate, inProcessScheme } from '../policy/gate.js';
import { excluded } from '../policy/decide.js';
import { closeAfterErr, sendErr } from './router-errors.js';
import { describePeer, isReservedTopic } from './router-presence.js';
import { checkHello } from './hello-rules.js';
import type { OutboxOverflow } from './peer-outbox.js';
import { Presence } from './presence.js';
import { resolveHubLimits, type HubLimits } from './limits.js';
import type { RouterOptions } from './router-options.js';
import { sendErrThenClose } from './err-close.js';
import { RouterFlow, slowConsumerError } from './router-flow.js';
import { QueueRouter } from './router-queues.js';
import { RouterSubscriptions } from './router-subs.js';
import { HubPublisher } from './router-sys.js';
import { frameSize } from './frame-size.js';
import { routeOwnPublish, type OwnFrame, type OwnRoute, type OwnRouteContext } from './own-now.js';
import { routeClaimedNow } from './own-pooled.js';
import { SampleRouter } from '../../zero-copy/hub-samples.js';
import { LANE_TOPIC, SAMPLE_CODEC } from '../../zero-copy/descriptor.js';
import { BATCH_TOPIC, isZeroCopyFrame, SAMPLE_BATCH_CODEC } from '../../zero-copy/batch.js';
import { lendsFrames } from '../../transports/frame-lending.js';
import { forwardLent } from './lent-forward.js';

/** Topic on which a hub publishes who is connected, on every join and leave. */
export const SYS_PEERS = '$sys.peers';

export type { RouterOptions } from './router-options.js';

export class HubRouter {
  readonly status = new Subject<FabricStatus>();
  readonly #options: RouterOptions;
  readonly #subs: RouterSubscriptions;
  /** `#subs.index`, read directly on the hot path. */
  readonly #index: SubjectIndex<SubEntry>;
  readonly #peers = new Set<RouterPeer>();
  readonly #limits: HubLimits;
  readonly #presence: Presence;
  readonly #flow: RouterFlow;
  readonly #queues: QueueRouter;
  readonly #hub: HubPublisher;
  #stamp = 0;
  #nextPeer = 1;
  #closed = false;
  /** `$sys.stats`: counts only while someone subscribes to it (./stats.ts). */
  readonly #stats: StatsCollector;
  counters = { routed: 0, protocolErrors: 0, slowConsumers: 0, oversizeDrops: 0, permissionDenied: 0 };
  readonly #gate: PolicyGate | undefined;
  /** Zero-copy samples: lanes, holder bits, copies for peers without a lane (../../zero-copy). */
  readonly #samples: SampleRouter;
  /** The hub's own publishes routed at once (./own-now.ts). */
  readonly #own: OwnRouteContext;
  /** What frames from peers reach (./router-frames.ts). */
  readonly #frames: FrameTarget;

  constructor(options: RouterOptions) {
    this.#options = options;
    this.#hub = new HubPublisher(options.name);
    this.#limits = resolveHubLimits({ ...(options.maxStall !== undefined ? { maxStall: options.maxStall } : {}), ...options.limits });
    this.#flow = new RouterFlow(this.#limits, this.#peers, () => this.#closed);
    this.#subs = new RouterSubscriptions(this.#limits.maxSubscriptions, {
      refuse: (p, sid, err) => this.#refuse(p, sid, err),
      allowed: (p, e) => !p.grant || this.#gate!.maySubscribe(p, e),
      changed: () => this.#stats.recheck(),
    });
    this.#index = this.#subs.index;
    this.#presence = new Presence({
      list: () => this.peers(),
      // Not to the hub's own bus: its events come from this router's status already.
      broadcast: (frame) => { for (const p of this.#peers) if (p.hello && !p.local) this.#write(p, frame); },
      wantsList: () => this.#index.match(SYS_PEERS).length > 0,
      publishList: (list) => this.#publishSys(SYS_PEERS, list),
    });
    this.#stats = new StatsCollector({
      name: options.name, transport: options.transport, counters: this.counters,
      peers: () => this.#peers, describe: (p) => this.#describe(p), isFull: (p) => this.#flow.isHolding(p) || p.outbox.pendingBytes > 0,
      subscribers: (topic) => this.#index.match(topic).length, publish: (topic, value) => this.#publishSys(topic, value),
    }, options.statsInterval);
    this.status.subscribe((s) => this.#stats.event(s));
    this.#gate = options.policy && new PolicyGate(options.policy, {
      hubName: options.name, peers: () => this.#peers, write: (p, f) => { this.#write(p, f); },
      emit: (s) => this.status.next(s), describe: (p) => this.#describe(p), counters: this.counters,
      drop: (e) => this.#index.remove(e.pattern, e),
    }, inProcessScheme(options.transport));
    this.#queues = new QueueRouter((p, f) => this.#write(p, f), this.#gate);
    this.#samples = new SampleRouter({
      write: (p, f) => this.#write(p, f), err: (p, code, text) => { sendErr(p, code, text); }, hubId: `hub:${options.name}`,
      maxHold: this.#limits.maxHold, slow: (p) => this.#slowConsumer(p, 'hold'), poolPrefix: options.poolPrefix,
    });
    this.#frames = {
      subs: this.#subs, publish: (p, f, pub) => this.#publish(p, f, pub), welcome: (p, h) => this.#welcome(p, h), write: (p, f) => { this.#write(p, f); },
    };
    this.#own = { index: this.#index, stamp: () => ++this.#stamp, routed: () => { this.counters.routed++; }, dropped: (p) => this.#stats.dropped(p) };
  }

  readonly #routeOwn = (frame: OwnFrame): OwnRoute => this.routeOwn(frame);

  /** The hub's own publish, routed now and written in place, or why not (./own-now.ts). */
  routeOwn(frame: OwnFrame): OwnRoute {
    if (this.#closed || this.#samples.active || this.#stats.on || isZeroCopyFrame(frame.topic, frame.codec)) return 'link';
    return routeOwnPublish(this.#own, this.#flow, frame);
  }

  /** Resolves once the router reads again (after a `waits`); undefined: it reads. */
  untilReading(): Promise<void> | undefined {
    return this.#flow.untilReading();
  }

  /** Accepts every connection the listener yields, until it ends. */
  serve(listener: Listener): Promise<void> {
    if (reportsAdmission(listener)) listener.onAdmissionError((error) => this.status.next({ type: 'error', error }));
    return (async () => {
      for await (const conn of listener) this.attach(conn);
    })();
  }

  /**
   * Adds one connection; it must say HELLO first. `local` is the hub's own bus: PUBs reach it
   * by a direct call (no copy, no second decode); control frames still use `conn`.
   */
  attach(conn: Connection, local?: LocalDelivery): RouterPeer {
    const peer: RouterPeer = new RouterPeer(`p${this.#nextPeer++}`, conn, local && this.#samples.wrapLocal(() => peer, local));
    peer.outbox = this.#flow.outbox(peer, (why) => this.#slowConsumer(peer, why));
    this.#peers.add(peer);
    const helloTimer = setTimeout(() => {
      if (!peer.hello) this.#fail(peer, new ProtocolError('no HELLO within helloTimeout'));
    }, this.#options.helloTimeout ?? 5000);
    helloTimer.unref();
    conn.consume((frame) => {
      // Frames still in a read after the router gave up on this peer mean nothing.
      if (peer.failure || peer.slowError) return;
      try {
        // The hub's own publishes come by reference (./local-route.ts): no copy, no decode.
        const own = peer.local?.claim?.(frame);
        // One whose payload is pooled is first written in place, to give its buffer back (./own-pooled.ts).
        if (own && peer.hello) {
          if (!routeClaimedNow(this.#routeOwn, own)) this.#publish(peer, own.frame, own.pub);
        }
        else onPeerFrame(this.#frames, peer, frame);
      } catch (err) {
        this.#fail(peer, err instanceof Error ? err : new ProtocolError(String(err)));
      }
    }, (err) => this.#fail(peer, err));
    // A PUB that only passes through is routed from the connection's lent view (./lent-forward.ts).
    if (lendsFrames(conn)) conn.lendFrames((frame) => this.#forwardLent(peer, frame));
    void conn.closed.then((closed) => {
      clearTimeout(helloTimer);
      const f = peer.failure;
      if (f) this.#detach(peer, f.reason, f.error);
      else this.#detach(peer, closed.reason === 'clean' || peer.saidBye ? 'clean' : closed.reason, closed.error);
    });
    if (!this.#flow.reading) conn.pause();
    return peer;
  }

  /** True when the lent `frame` was routed now; false: it comes again, owned, by `consume`. */
  #forwardLent(peer: RouterPeer, frame: Uint8Array): boolean {
    return peer.hello !== undefined && peer.grant === undefined && !peer.failure && !peer.slowError && !this.#closed
      && !this.#samples.active && !this.#stats.on && forwardLent(this.#own, frame);
  }

  /** Stops (+1) or restarts (-1) reading from every peer: the hub's own buffers are full. */
  holdInput(delta: 1 | -1): void {
    this.#flow.holdInput(delta);
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
    peer.credentials = provenPeer(peer.conn);
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

  /** #publish made once: a sample is routed by calling it again (no closure per sample). */
  readonly #publishAgain = (p: RouterPeer, f: Uint8Array | Uint8Array[], pub: Pub): void => this.#publish(p, f, pub);

  /** A client's PUB: `$sys.` topics are the hub's own (ERR, the connection stays open). */
  #publish(peer: RouterPeer, frame: Uint8Array | Uint8Array[], pub: Pub): void {
    checkTopic(pub.topic);
    if (pub.topic === LANE_TOPIC) return this.#samples.lane(peer, pub);
    if (pub.topic === BATCH_TOPIC) return this.#samples.batchAsked(peer, pub);
    // A sample is held in flight around its whole routing (checks included), then let go.
    if ((pub.codec === SAMPLE_CODEC || pub.codec === SAMPLE_BATCH_CODEC) && !this.#samples.active) return this.#samples.route(peer, frame, pub, this.#publishAgain);
    if (isReservedTopic(pub.topic) && !peer.local) {
      sendErr(peer, 'ERR_UNIBUS_PERMISSION', new PermissionDeniedError(
        `topic=${pub.topic} is reserved for the hub ($sys.): PUB seq=${pub.seq} dropped`).message);
      return;
    }
    if (peer.grant && !this.#gate!.mayPublish(peer, pub)) return;
    this.#route(peer, frame, pub);
  }

  #route(from: RouterPeer | undefined, frame: Uint8Array | Uint8Array[], pub: Pub): void {
    if (this.#stats.on) this.#stats.routed(from, pub.topic, frameSize(frame));
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
    if (groups) this.#queues.route(groups, frame, pub, from);
  }

  #noResponders(to: RouterPeer, replyTo: string): void {
    this.#write(to, this.#hub.noResponders(replyTo));
  }

  /**
   * Hands `frame` to `peer` (its connection, or its outbox while the connection is full); false
   * when it was not handed (larger than the peer takes, closing, or dropped).
   */
  #write(peer: RouterPeer, frame: Uint8Array | Uint8Array[]): boolean {
    if (this.#samples.active) frame = this.#samples.outgoing(peer, frame);
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

  /**
   * Drops a peer that reads too slowly: what waits for it is discarded, it stops receiving at
   * once, gets ERR `ERR_UNIBUS_SLOW_CONSUMER` after what its connection already holds, then the
   * connection is closed (after a bounded flush). Everyone else goes on.
   */
  #slowConsumer(peer: RouterPeer, why: OutboxOverflow): void {
    if (peer.slowError || !this.#peers.has(peer)) return;
    this.#retire(peer);
    this.counters.slowConsumers++;
    const err = slowConsumerError(peer, why, this.#limits);
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
    this.#flow.hold(peer, false);
    this.#subs.dropAll(peer);
  }

  #detach(peer: RouterPeer, reason: string, error?: Error): void {
    if (!this.#peers.delete(peer)) return;
    this.#retire(peer);
    this.#samples.left(peer);
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
    const { frame, pub } = this.#hub.sys(topic, value);
    this.#route(undefined, frame, pub);
  }

  /** Says BYE to every peer (a clean stop, not a death), then closes each connection after it flushed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#flow.close();
    this.#stats.stop();
    this.#gate?.close();
    this.#presence.close();
    this.#samples.close();
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
