/**
 * The hub's part in zero-copy (docs/zero-copy.md): it hands out receiver lanes, and for each
 * sample PUB (codec {@link SAMPLE_CODEC}) it checks the descriptor against the publisher's pool,
 * sets each receiver's lane bit BEFORE the frame is handed to that receiver, clears the in-flight
 * bit once routing is done, and gives a receiver that has no lane (or the hub's own bus without
 * one) an ordinary `raw` copy instead. The bits are the record of what was forwarded to whom: when
 * a connection ends, crash included, its bit is cleared in every pool, so its samples come back.
 * A pool whose publisher left is removed from /dev/shm once nobody holds a sample of it; one it
 * never saw, of a publisher that died, after a grace (./unrouted-pools.ts).
 * @module
 */
import { msgpackCodec, rawCodec } from '../codecs/index.js';
import { SampleError } from '../errors.js';
import { shmUnlink } from '../native/mmap.js';
import type { Pub } from '../bus/protocol/messages.js';
import { PubEncoder } from '../bus/protocol/pub-encoder.js';
import { FramePub } from '../bus/protocol/pub-decoder.js';
import type { LocalDelivery, RouterPeer } from '../bus/hub/router-peer.js';
import { DescribedFramePub, encodeLane, readDescriptorOf, type SampleDescriptor } from './descriptor.js';
import { MAX_LANE, POOL_INFIX, POOL_SUFFIX, laneBit } from './pool-layout.js';
import { PoolView } from './pool-reader.js';
import { HoldWatch } from './hold-watch.js';
import { sweepUnroutedPools } from './unrouted-pools.js';

/** msgpack `{}`: a room notice carries nothing. */
const EMPTY_MAP = new Uint8Array([0x80]);
/** How often pools whose publisher left are checked for removal (ms). */
const ORPHAN_CHECK_MS = 250;
/** How long after a connection ends its never-routed pools are looked for (./unrouted-pools.ts). */
const UNROUTED_GRACE_MS = 1000;
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

/**
 * The sample being routed. One record, reused for every sample (routing is synchronous and never
 * nested: a sample PUB met while one is routed takes the router's ordinary path): an object per
 * sample was the hub's largest allocation of a relayed sample.
 */
class Active {
  view: PoolView | undefined;
  block = 0;
  length = 0;
  generation = 0;
  /** The pool's name as the descriptor gave it. */
  pool = '';
  /** As the router got it: whole, or in chunks (the hub's own publish, ../bus/hub/local-route.ts). */
  frame: Uint8Array | Uint8Array[] | undefined;
  pub: Pub | undefined;
  copyFrame: Uint8Array | undefined;
  copyPub: Pub | undefined;
  localPub: Pub | undefined;

  start(view: PoolView, d: SampleDescriptor, frame: Uint8Array | Uint8Array[], pub: Pub): void {
    this.view = view;
    this.block = d.block;
    this.length = d.length;
    this.generation = d.generation;
    this.pool = d.pool;
    this.frame = frame;
    this.pub = pub;
  }

  /** Keeps nothing of the sample past its routing. */
  end(): void {
    this.view = this.frame = this.pub = this.copyFrame = this.copyPub = this.localPub = undefined;
  }
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
  #timer: NodeJS.Timeout | undefined;
  #unroutedTimer: NodeJS.Timeout | undefined;
  /** Receivers holding samples past maxHold: slow consumers. */
  readonly #holds: HoldWatch;

  constructor(hooks: SampleRouterHooks) {
    this.#hooks = hooks;
    this.#encoder = new PubEncoder(hooks.hubId);
    this.#holds = new HoldWatch(hooks.maxHold ?? Infinity, () => [...this.#pools.values()].map((p) => p.view), (lane) => {
      for (const [peer, l] of this.#lanes) if (l === lane) hooks.slow?.(peer);
    });
  }

  /** True while a sample is being routed: the router passes its writes through {@link outgoing}. */
  get active(): boolean {
    return this.#active !== undefined;
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
      const e = err as Error & { code?: string };
      this.#hooks.err(from, typeof e.code === 'string' && e.code.startsWith('ERR_UNIBUS') ? e.code : 'ERR_UNIBUS_SAMPLE',
        `sample PUB on topic=${pub.topic} seq=${pub.seq} dropped: ${e.message}`);
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

  /**
   * A frame the router is about to hand to `peer` while a sample is routed: for the sample's frame
   * (alone, or after a QPUB header) the peer's lane bit is set first; without a lane the peer gets
   * a copy.
   */
  outgoing(peer: RouterPeer, frame: Uint8Array | Uint8Array[]): Uint8Array | Uint8Array[] {
    const a = this.#active!;
    const alone = frame === a.frame;
    // Behind a QPUB header the sample's frame follows whole or as its chunks.
    const first = a.frame instanceof Uint8Array ? a.frame : a.frame![0];
    if (!alone && !(Array.isArray(frame) && frame.length >= 2 && frame[1] === first)) return frame;
    const lane = this.#laneOf(peer);
    if (lane !== undefined) {
      a.view!.holdLane(a.block, lane);
      return frame;
    }
    const copy = this.#copy(a).frame;
    return alone ? copy : [qpubHeaderFor((frame as Uint8Array[])[0]!, copy.length), copy];
  }

  /** The hub's own bus gets samples by a direct call: same rule (its lane bit, or a copy). */
  wrapLocal(peerOf: () => RouterPeer, local: LocalDelivery): LocalDelivery {
    const pick = (pub: Pub): Pub => {
      const a = this.#active;
      if (!a || pub !== a.pub) return pub;
      const lane = this.#laneOf(peerOf());
      if (lane !== undefined) {
        a.view!.holdLane(a.block, lane);
        // Named on the message: this call may overtake the lane answer in the in-process link.
        return a.localPub ??= withLane(pub, lane, a);
      }
      return this.#copy(a).pub;
    };
    return {
      deliver: (pub) => local.deliver(pick(pub)),
      deliverQueued: (pub, sids) => local.deliverQueued(pick(pub), sids),
      // The hub's own publishes come by reference (../bus/hub/local-route.ts): keep that path.
      ...(local.claim ? { claim: local.claim.bind(local) } : {}),
    };
  }

  /** A connection ended: its samples come back, its lane is free, its pools are orphans. */
  left(peer: RouterPeer): void {
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
    this.#sweepUnroutedLater();
  }

  /** After a grace (the departed connection's ring drained and routed), pools never routed whose owner is gone. */
  #sweepUnroutedLater(): void {
    const prefix = this.#hooks.poolPrefix;
    if (prefix === undefined || this.#unroutedTimer) return;
    this.#unroutedTimer = setTimeout(() => {
      this.#unroutedTimer = undefined;
      sweepUnroutedPools(prefix, (name) => this.#pools.has(name));
    }, UNROUTED_GRACE_MS);
    this.#unroutedTimer.unref();
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

  /** The sample as an ordinary `raw` PUB (made once per routed sample). */
  #copy(a: Active): { frame: Uint8Array; pub: Pub } {
    if (!a.copyFrame) {
      const bytes = a.view!.sampleBytes(a.block, a.length).slice();
      const p = a.pub!;
      const chunks = new PubEncoder(p.publisher).encode(p.topic, rawCodec.id, p.seq, bytes, p.replyTo, p.headers);
      a.copyFrame = chunks instanceof Uint8Array ? chunks.slice() : Buffer.concat(chunks);
      // Field by field: a received Pub may compute its payload from its frame (FramePub).
      a.copyPub = { topic: p.topic, codec: rawCodec.id, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload: bytes };
    }
    return { frame: a.copyFrame, pub: a.copyPub! };
  }

  close(): void {
    this.#holds.close();
    clearInterval(this.#timer);
    clearTimeout(this.#unroutedTimer);
    this.#timer = this.#unroutedTimer = undefined;
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

/** A QPUB header (`[9, sids, bin32 length]`) with the length of another PUB frame. */
function qpubHeaderFor(header: Uint8Array, length: number): Uint8Array {
  const out = header.slice();
  new DataView(out.buffer, out.byteOffset).setUint32(out.length - 4, length);
  return out;
}

/**
 * `pub` with the receiving lane attached (for the hub's own bus only). A frame's PUB stays one,
 * and carries the descriptor the router just read (./descriptor.ts DescribedFramePub: the
 * receiver does not read it again); a plain copy cut a payload view of the frame per sample.
 */
function withLane(p: Pub, lane: number, d: SampleDescriptor): Pub & { lane: number } {
  if (p instanceof FramePub) return new DescribedFramePub(p, lane, d);
  return { topic: p.topic, codec: p.codec, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload: p.payload, lane };
}
