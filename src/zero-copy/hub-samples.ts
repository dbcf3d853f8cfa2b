/**
 * The hub's part in zero-copy (docs/zero-copy.md): it hands out receiver lanes, and for each
 * sample PUB (codec {@link SAMPLE_CODEC}) it checks the descriptor against the publisher's pool,
 * sets each receiver's lane bit BEFORE the frame is handed to that receiver, clears the in-flight
 * bit once routing is done, and gives a receiver that has no lane (or the hub's own bus without
 * one) an ordinary `raw` copy instead. The bits are the record of what was forwarded to whom: when
 * a connection ends, crash included, its bit is cleared in every pool, so its samples come back.
 * A pool whose publisher left is removed from /dev/shm once nobody holds a sample of it; one it
 * never saw, of a publisher that died, after a grace (./unrouted-pools.ts).
 * A batch PUB (codec 126, ./batch.ts) gets the same per sample, routed once: forwarded whole to
 * connections that asked for batches, split into sample PUBs or copies for the others.
 * @module
 */
import { msgpackCodec } from '../codecs/index.js';
import { SampleError } from '../errors.js';
import { shmUnlink } from '../native/mmap.js';
import type { Pub } from '../bus/protocol/messages.js';
import { PubEncoder } from '../bus/protocol/pub-encoder.js';
import type { LocalDelivery, RouterPeer } from '../bus/hub/router-peer.js';
import { encodeLane, readDescriptorOf } from './descriptor.js';
import { MAX_LANE, POOL_INFIX, POOL_SUFFIX, laneBit } from './pool-layout.js';
import { PoolView } from './pool-reader.js';
import { HoldWatch } from './hold-watch.js';
import { UnroutedPools } from './unrouted-pools.js';
import { BatchRead, readBatchOf, SAMPLE_BATCH_CODEC } from './batch.js';
import { Active, BatchActive, carries, fieldsOf, qpubHeaderFor, withLane, writeSplit, type SplitPub } from './hub-active.js';

/** msgpack `{}`: a room notice carries nothing. */
const EMPTY_MAP = new Uint8Array([0x80]);
/** msgpack `{ batch: 1 }`: the answer to a request on `$zc.batch` (./batch.ts). */
const BATCH_ANSWER = new Uint8Array([0x81, 0xa5, 0x62, 0x61, 0x74, 0x63, 0x68, 0x01]);
/** How often pools whose publisher left are checked for removal (ms). */
const ORPHAN_CHECK_MS = 250;
/** A pool name: `/unibus-shm.<hub name>~pool.<bus id>.<n>`. */
const POOL_NAME = /^\/unibus-shm\.[A-Za-z0-9_.-]{1,200}~(.*)$/;

export interface SampleRouterHooks {
  /** The router's write (connection or outbox). */
  write(peer: RouterPeer, frame: Uint8Array | Uint8Array[]): boolean;
  /** ERR to a peer; its connection stays open. */
  err(peer: RouterPeer, code: string, text: string): void;
  /** Publisher id of the hub (`hub:<name>`). */
  readonly hubId: string;
  /** ms a receiver may hold a sample (Infinity: no limit; ./hold-watch.ts). */
  readonly maxHold?: number;
  /** A receiver held a sample past maxHold: the router drops it as a slow consumer. */
  slow?(peer: RouterPeer): void;
  /** Where publishers' pools are named (/dev/shm prefix), to sweep those never routed (./unrouted-pools.ts). */
  readonly poolPrefix?: string | undefined;
}

interface Pool {
  readonly view: PoolView;
  /** The peer that publishes from it; undefined once it left (an orphan). */
  owner: RouterPeer | undefined;
}

export class SampleRouter {
  readonly #hooks: SampleRouterHooks;
  readonly #encoder: PubEncoder;
  readonly #lanes = new Map<RouterPeer, number>();
  /** Free lanes, least recently freed first: a lane is reused as late as possible. */
  readonly #free: number[] = Array.from({ length: MAX_LANE }, (_, i) => i + 1);
  readonly #pools = new Map<string, Pool>();
  /**
   * The pool and the lane looked up last: a publisher's samples come one after the other from the
   * same pool to the same receivers, and a Map lookup per sample (a hash of the pool name, then of
   * the peer) was a visible part of routing one. Reset whenever #pools or #lanes change.
   */
  #lastPool: Pool | undefined;
  #lastPeer: RouterPeer | undefined;
  #lastLane: number | undefined;
  readonly #record = new Active();
  /** The sample being routed (#record), or undefined. */
  #active: Active | undefined;
  /** The batch being routed (#batchRecord), or undefined (./batch.ts, ./hub-active.ts). */
  #batch: BatchActive | undefined;
  readonly #batchRecord = new BatchActive();
  readonly #batchRead = new BatchRead();
  /** Connections that asked for batches ($zc.batch): they get batches as they are, others split. */
  readonly #batchPeers = new Set<RouterPeer>();
  #timer: NodeJS.Timeout | undefined;
  readonly #unrouted: UnroutedPools | undefined;
  /** Receivers holding samples past maxHold: slow consumers. */
  readonly #holds: HoldWatch;

  constructor(hooks: SampleRouterHooks) {
    this.#hooks = hooks;
    this.#encoder = new PubEncoder(hooks.hubId);
    this.#unrouted = hooks.poolPrefix === undefined ? undefined : new UnroutedPools(hooks.poolPrefix, (name) => this.#pools.has(name));
    this.#holds = new HoldWatch(hooks.maxHold ?? Infinity, () => [...this.#pools.values()].map((p) => p.view), (lane) => {
      for (const [peer, l] of this.#lanes) if (l === lane) hooks.slow?.(peer);
    });
  }

  /** True while a sample is being routed: the router passes its writes through {@link outgoing}. */
  get active(): boolean {
    return this.#active !== undefined || this.#batch !== undefined;
  }

  /** A request on `$zc.batch`: this connection reads batches from now on; answered `{ batch: 1 }`. */
  batchAsked(peer: RouterPeer, pub: Pub): void {
    this.#batchPeers.add(peer);
    if (pub.replyTo === undefined) return;
    this.#hooks.write(peer, this.#encoder.encode(pub.replyTo, msgpackCodec.id, 0, BATCH_ANSWER, undefined, undefined));
  }

  /** A lane request: answered on its replyTo with `{ lane }` (0, copies: none free, or a peer of another user). */
  lane(peer: RouterPeer, pub: Pub): void {
    if (pub.replyTo === undefined) return;
    let lane = this.#lanes.get(peer);
    if (lane === undefined) {
      lane = mapsNoPool(peer) ? 0 : this.#free.shift() ?? 0;
      if (lane !== 0) this.#lanes.set(peer, lane);
      this.#lastPeer = undefined;
    }
    const frame = this.#encoder.encode(pub.replyTo, msgpackCodec.id, 0, encodeLane(lane), undefined, undefined);
    this.#hooks.write(peer, frame);
  }

  /**
   * Routes one sample PUB through `publish` (the router's, called again with the same arguments:
   * a function made once, not a closure per sample), holding it in flight meanwhile.
   */
  route(from: RouterPeer, frame: Uint8Array | Uint8Array[], pub: Pub,
    publish: (from: RouterPeer, frame: Uint8Array | Uint8Array[], pub: Pub) => void): void {
    if (pub.codec === SAMPLE_BATCH_CODEC) {
      this.#routeBatch(from, frame, pub, publish);
      return;
    }
    let pool: Pool;
    let view: PoolView;
    let block: number;
    const active = this.#record;
    try {
      const d = readDescriptorOf(pub); // shared: read at once
      pool = this.#pool(from, d.pool);
      view = pool.view;
      if (!view.matches(d.block, d.length, d.generation) || !view.heldBy(d.block, 0)) {
        throw new SampleError(`stale sample handle: pool=${d.pool} block=${d.block} generation=${d.generation}`);
      }
      block = d.block;
      active.start(view, d, frame, pub);
    } catch (err) {
      this.#refuse(from, pub, err);
      return;
    }
    this.#active = active;
    try {
      publish(from, frame, pub);
    } finally {
      this.#active = undefined;
      active.end();
      // Every receiver's bit is set: the hub's hold ends (a sample nobody took is free now).
      if (view.dropLane(block, 0)) this.#room(pool); // bit 0: in flight
    }
  }

  /** ERR to the publisher of a sample PUB refused whole. */
  #refuse(from: RouterPeer, pub: Pub, err: unknown): void {
    const e = err as Error & { code?: string };
    this.#hooks.err(from, typeof e.code === 'string' && e.code.startsWith('ERR_UNIBUS') ? e.code : 'ERR_UNIBUS_SAMPLE',
      `sample PUB on topic=${pub.topic} seq=${pub.seq} dropped: ${e.message}`);
  }

  /**
   * A batch (./batch.ts): each sample checked as a sample PUB is, those that fail refused in one
   * ERR and left out of what is forwarded, the rest routed once for the topic and held in flight
   * until every receiver's bit is set.
   */
  #routeBatch(from: RouterPeer, frame: Uint8Array | Uint8Array[], pub: Pub,
    publish: (from: RouterPeer, frame: Uint8Array | Uint8Array[], pub: Pub) => void): void {
    const b = this.#batchRead;
    let pool: Pool;
    try {
      readBatchOf(pub, b);
      pool = this.#pool(from, b.pool);
    } catch (err) {
      this.#refuse(from, pub, err);
      return;
    }
    const view = pool.view;
    const a = this.#batchRecord;
    a.start(view, b.pool);
    const refused = a.admit(b);
    if (refused) {
      this.#hooks.err(from, 'ERR_UNIBUS_SAMPLE', `sample batch on topic=${pub.topic} seq=${pub.seq}: ${refused.length} of ${b.count}`
        + ` samples dropped (stale sample handle, or named twice): pool=${b.pool} ${refused.slice(0, 8).join(', ')}${refused.length > 8 ? ', ...' : ''}`);
      if (a.count === 0) {
        a.end();
        return;
      }
    }
    a.forward(frame, pub, b);
    this.#batch = a;
    try {
      publish(from, a.frame!, a.pub!);
    } finally {
      this.#batch = undefined;
      let room = false;
      for (let i = 0; i < a.count; i++) if (view.dropLane(a.blocks[i]!, 0)) room = true; // bit 0: in flight
      a.end();
      if (room) this.#room(pool);
    }
  }

  /** What `peer` gets of the batch being routed: the batch's frame, its samples one per PUB, or copies. */
  #batchFor(peer: RouterPeer, a: BatchActive): SplitPub[] | undefined {
    const lane = this.#laneOf(peer);
    if (lane === undefined) return a.copies();
    a.holdAll(lane);
    // A peer that takes smaller frames than the batch (it announced under ~1.5 KiB) gets it split
    // too: a batch skipped as oversize would leave its bits set until that peer left.
    return this.#batchPeers.has(peer) && (peer.local || a.frameBytes() <= peer.frameLimit) ? undefined : a.singles();
  }

  /** The batch's frame for `peer` while a batch is routed (QPUB-wrapped or alone), written split where it must be. */
  #outgoingBatch(peer: RouterPeer, frame: Uint8Array | Uint8Array[], a: BatchActive): Uint8Array | Uint8Array[] {
    if (!carries(a.frame!, frame)) return frame;
    const parts = this.#batchFor(peer, a);
    return parts === undefined ? frame : writeSplit(frame, a.frame!, parts, (f) => this.#hooks.write(peer, f));
  }

  /**
   * A frame the router is about to hand to `peer` while a sample is routed: for the sample's frame
   * (alone, or after a QPUB header) the peer's lane bit is set first; without a lane the peer gets
   * a copy.
   */
  outgoing(peer: RouterPeer, frame: Uint8Array | Uint8Array[]): Uint8Array | Uint8Array[] {
    if (this.#batch) return this.#outgoingBatch(peer, frame, this.#batch);
    const a = this.#active!;
    if (!carries(a.frame!, frame)) return frame;
    const alone = frame === a.frame;
    const lane = this.#laneOf(peer);
    if (lane !== undefined) {
      a.view!.holdLane(a.block, lane);
      return frame;
    }
    const copy = a.copy().frame;
    return alone ? copy : [qpubHeaderFor((frame as Uint8Array[])[0]!, copy.length), copy];
  }

  /** The hub's own bus gets samples by a direct call: same rule (its lane bit, or a copy). */
  wrapLocal(peerOf: () => RouterPeer, local: LocalDelivery): LocalDelivery {
    const pickBatch = (pub: Pub, b: BatchActive): Pub | Pub[] => {
      const peer = peerOf();
      const parts = this.#batchFor(peer, b);
      const lane = this.#laneOf(peer);
      // Named on the message: this call may overtake the lane answer in the in-process link.
      if (parts === undefined) return b.localPub ??= { ...fieldsOf(pub), lane: lane! };
      return lane === undefined ? parts.map((p) => p.pub) : parts.map((p) => ({ ...fieldsOf(p.pub), lane }));
    };
    const pick = (pub: Pub): Pub | Pub[] => {
      if (this.#batch && pub === this.#batch.pub) return pickBatch(pub, this.#batch);
      const a = this.#active;
      if (!a || pub !== a.pub) return pub;
      const lane = this.#laneOf(peerOf());
      if (lane !== undefined) {
        a.view!.holdLane(a.block, lane);
        // Named on the message: this call may overtake the lane answer in the in-process link.
        return a.localPub ??= withLane(pub, lane, a);
      }
      return a.copy().pub;
    };
    return {
      deliver: (pub) => {
        const p = pick(pub);
        if (Array.isArray(p)) for (const one of p) local.deliver(one);
        else local.deliver(p);
      },
      deliverQueued: (pub, sids) => {
        const p = pick(pub);
        if (Array.isArray(p)) for (const one of p) local.deliverQueued(one, sids);
        else local.deliverQueued(p, sids);
      },
      // The hub's own publishes come by reference (../bus/hub/local-route.ts): keep that path.
      ...(local.claim ? { claim: local.claim.bind(local) } : {}),
    };
  }

  /** A connection ended: its samples come back, its lane is free, its pools are orphans. */
  left(peer: RouterPeer): void {
    this.#batchPeers.delete(peer);
    const lane = this.#lanes.get(peer);
    this.#lastPeer = undefined;
    if (lane !== undefined) {
      this.#lanes.delete(peer);
      const bit = laneBit(lane);
      for (const pool of this.#pools.values()) {
        if (pool.view.dropEverywhere(bit) > 0 && pool.view.takeWaiting()) this.#room(pool);
      }
      this.#free.push(lane);
    }
    let orphans = false;
    for (const pool of this.#pools.values()) {
      if (pool.owner === peer) {
        pool.owner = undefined;
        orphans = true;
      }
    }
    if (orphans) this.#checkOrphans();
    this.#unrouted?.later();
  }

  /** Removes pools whose publisher left once no receiver holds a sample of them. */
  #checkOrphans(): void {
    let waiting = false;
    for (const [name, pool] of this.#pools) {
      if (pool.owner !== undefined) continue;
      if (!pool.view.idle()) {
        waiting = true;
        continue;
      }
      try {
        shmUnlink(name);
      } catch {
        // already gone (the publisher removed it on close)
      }
      pool.view.close();
      this.#pools.delete(name);
      this.#lastPool = undefined;
    }
    if (waiting && !this.#timer) {
      this.#timer = setInterval(() => this.#checkOrphans(), ORPHAN_CHECK_MS);
      this.#timer.unref();
    } else if (!waiting && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Tells `pool`'s publisher that a run was freed while its loan waits (./pool-layout.ts, `waiting`). */
  #room(pool: Pool): void {
    const topic = pool.view.roomTopic;
    if (pool.owner === undefined || topic === undefined) return;
    this.#hooks.write(pool.owner, this.#encoder.encode(topic, msgpackCodec.id, 0, EMPTY_MAP, undefined, undefined));
  }

  /** The lane of `peer` (undefined: it has none). */
  #laneOf(peer: RouterPeer): number | undefined {
    if (peer !== this.#lastPeer) {
      this.#lastLane = this.#lanes.get(peer);
      this.#lastPeer = peer;
    }
    return this.#lastLane;
  }

  #pool(from: RouterPeer, name: string): Pool {
    const last = this.#lastPool;
    // The same string as last time when the descriptor reader reused it: compared by reference first.
    const known = last !== undefined && last.view.name === name ? last : this.#pools.get(name);
    if (known) {
      known.owner ??= from;
      this.#lastPool = known;
      return known;
    }
    const m = POOL_NAME.exec(name);
    if (!m || !m[1]!.startsWith(POOL_INFIX) || !POOL_SUFFIX.test(m[1]!.slice(POOL_INFIX.length))) {
      throw new SampleError(`not a pool name: pool=${JSON.stringify(name)}`);
    }
    // A pool is 0600 and must be ours: same user, as every shm segment of this hub.
    const view = PoolView.open(name, { uid: process.geteuid?.(), mode: 0o600 });
    const pool = { view, owner: from };
    this.#pools.set(name, pool);
    this.#holds.start();
    return pool;
  }

  close(): void {
    this.#holds.close();
    clearInterval(this.#timer);
    this.#unrouted?.close();
    this.#timer = undefined;
    for (const pool of this.#pools.values()) pool.view.close();
    this.#pools.clear();
    this.#lastPool = undefined;
    this.#lastPeer = undefined;
  }
}

/**
 * True for a peer of another user than the hub's: it cannot map any pool the hub routes (a pool is
 * 0600 and of the hub's user, see #pool), so a lane would only make its samples undeliverable
 * and keep their slots held; it gets copies instead.
 */
function mapsNoPool(peer: RouterPeer): boolean {
  if (peer.local) return false;
  const uid = peer.credentials?.uid ?? peer.conn.peer.uid;
  return uid !== undefined && uid !== process.geteuid?.();
}

