/**
 * The receiving side of zero-copy on a bus: asks the hub for a lane (once it subscribes), turns a
 * sample descriptor into a message whose `data` views the publisher's memory, and gives samples
 * back: on release, after `maxHold` (a slow consumer: revoked, reported), and when the connection
 * to the hub ends (revoked; the hub clears the lane's bits itself, and may hand the lane to
 * someone else, so this side never clears a bit of an earlier connection).
 * @module
 */
import { existsSync } from 'node:fs';
import type { Subject } from 'rxjs';
import { SampleError } from '../errors.js';
import type { BusEvent } from '../bus/events.js';
import type { WireHandler, WireMessage } from '../bus/fabric.js';
import { msgpackCodec } from '../codecs/index.js';
import type { Message } from '../bus/types.js';
import { decodeLane, LANE_TOPIC, readDescriptorOf, SAMPLE_CODEC } from './descriptor.js';
import { HeldMessage, HeldSample, RELEASED } from './held.js';
import { HeldList } from './held-list.js';
import { PoolView } from './pool-reader.js';
import type { SampleMessage } from './sample.js';
import { BatchRead, readBatchOf, SAMPLE_BATCH_CODEC } from './batch.js';
import type { BatchAgreement } from './batch-agreement.js';

/** Default `maxHold` (ms) of a zero-copy subscription. */
export const DEFAULT_MAX_HOLD = 10_000;
/** How often held samples and idle pools are looked at (ms). */
const SWEEP_MS = 500;
/** msgpack `{}`: a lane request (and a room notice) carries nothing. */
const EMPTY_MAP = new Uint8Array([0x80]);

/** What a zero-copy subscription asked for. */
export interface ReceiveOptions {
  readonly zeroCopy: boolean;
  /** ms a message may be held before it is revoked (0: never). */
  readonly maxHold: number;
}

export interface ReceiverHost {
  /** The fabric's subscribe and publish (the lane request bypasses the bus's codec and counters). */
  subscribe(pattern: string, handler: WireHandler): { unsubscribe(): void };
  publish(w: WireMessage): Promise<void> | undefined;
  /** Where the hub answers this bus's lane request. */
  readonly replyTopic: string;
  readonly events: Subject<BusEvent>;
  readonly counters: { delivered: number; badPayloads: number };
  /** Owner and mode a pool must have. */
  readonly expect: { uid: number | undefined; mode: number };
  /** Whether the hub sends this bus batches (asked with the lane: this side reads them from then on). */
  readonly agreement: BatchAgreement;
}

export class SampleReceiver {
  readonly #host: ReceiverHost;
  #lane = 0;
  #asking = false;
  #wanted = false;
  #inbox: { unsubscribe(): void } | undefined;
  #epoch = 0;
  readonly #pools = new Map<string, { view: PoolView; used: number }>();
  /** The entry of #pools used last (reset when an entry goes). */
  #lastPool: { view: PoolView; used: number } | undefined;
  readonly #held = new HeldList<HeldSample>();
  #timer: NodeJS.Timeout | undefined;
  #lastWire: WireMessage | undefined;
  #lastHeld: HeldSample | undefined;
  /** The samples of #lastWire when it is a batch (every local subscription gets the same wire). */
  #lastBatch: HeldSample[] = [];
  readonly #batchRead = new BatchRead();
  #closed = false;
  /**
   * Samples taken in this delivery turn (each holds a reference for the turn) and the messages
   * made of them: one microtask per turn ends it, not one per sample.
   */
  #turn: HeldSample[] = [];
  #fresh: HeldMessage[] = [];
  #turnQueued = false;
  /** Date.now() of this delivery turn (read once per turn, not per sample). */
  #turnNow = 0;
  /**
   * Backstop: a message collected without release() gives its sample back, with a warning. Only
   * messages still held when their delivery turn ends are registered (registering every message
   * cost the garbage collector more than the rest of a sample's delivery).
   */
  readonly #lost = new FinalizationRegistry<HeldSample>((h) => {
    if (h.done) return;
    process.emitWarning(`a zero-copy sample was garbage-collected without release(): use \`using m\` or m.release()`, 'UnibusWarning');
    h.unref();
  });
  /** A message released by its user: it no longer needs the backstop. */
  readonly #released = (m: HeldMessage): void => {
    if (m.registered) this.#lost.unregister(m);
  };
  /** A sample's last reference went (or it was revoked): its bit goes when it is still ours. */
  readonly #freed = (h: HeldSample, clearBit: boolean): void => {
    this.#held.delete(h);
    if (clearBit && h.epoch === this.#epoch && h.pool.dropLane(h.block, h.lane)) this.#room(h.pool);
  };
  readonly #endTurn = (): void => {
    this.#turnQueued = false;
    const fresh = this.#fresh;
    const turn = this.#turn;
    this.#fresh = [];
    this.#turn = [];
    for (const m of fresh) {
      if (!m.held) continue;
      m.registered = true;
      this.#lost.register(m, m.sample, m);
    }
    for (const h of turn) h.unref();
  };

  constructor(host: ReceiverHost) {
    this.#host = host;
  }

  /**
   * Asks for a lane (once per connection): called when the bus subscribes with zeroCopy. The
   * answer is read by a fabric subscription, synchronously and in order with the frames after
   * it, so samples routed right after the lane was assigned already find it here.
   */
  wantLane(): void {
    this.#wanted = true;
    this.#host.agreement.want();
    if (this.#lane !== 0 || this.#asking || this.#closed) return;
    this.#asking = true;
    this.#inbox ??= this.#host.subscribe(this.#host.replyTopic, (w) => {
      this.#asking = false;
      this.#lane = decodeLane(w.payload);
    });
    try {
      const sent = this.#host.publish({ topic: LANE_TOPIC, codec: msgpackCodec.id, payload: EMPTY_MAP, replyTo: this.#host.replyTopic });
      sent?.catch(() => { this.#asking = false; });
    } catch {
      this.#asking = false; // no lane: the hub sends copies
    }
  }

  /** A new connection: ask again if this bus wants samples. */
  reconnected(): void {
    if (this.#wanted) this.wantLane();
  }

  /** The lane this bus holds samples with (0: none yet, messages arrive as copies). */
  get lane(): number {
    return this.#lane;
  }

  /** The connection to the hub ended: revoke everything held; the next connection asks again. */
  disconnected(): void {
    this.#epoch++;
    this.#lane = 0;
    this.#asking = false;
    this.#dropAll(false);
  }

  /**
   * Revokes every held sample (clearing its lane bit in the pool when `clearBits`) and closes
   * every pool (a pool's data mapping goes once no view of it is reachable). Nothing here may
   * keep a mapping reachable once the user dropped their views.
   */
  #dropAll(clearBits: boolean): void {
    this.#lastWire = this.#lastHeld = undefined;
    this.#lastBatch = [];
    this.#fresh = [];
    this.#turn = [];
    for (const h of this.#held.toArray()) h.revoke(clearBits);
    for (const { view } of this.#pools.values()) view.close();
    this.#pools.clear();
    this.#lastPool = undefined;
  }

  /** This release freed a run of `pool` while its publisher's loan waits: tell it (./pool-layout.ts, `waiting`). */
  #room(pool: PoolView): void {
    if (pool.roomTopic === undefined || this.#closed) return;
    try {
      this.#host.publish({ topic: pool.roomTopic, codec: msgpackCodec.id, payload: EMPTY_MAP })?.catch(() => undefined);
    } catch {
      // not sent: the publisher's loan finds the run at its next poll
    }
  }

  /** Handles a sample descriptor for one subscription (same wire for every local subscription). */
  deliver(w: WireMessage, options: ReceiveOptions, deliver: (m: Message) => void): void {
    if (w.codec === SAMPLE_BATCH_CODEC) {
      if (w !== this.#lastWire) {
        this.#lastWire = w;
        this.#lastHeld = undefined;
        this.#lastBatch = this.#takeBatch(w);
      }
      const batch = this.#lastBatch;
      for (let i = 0; i < batch.length; i++) this.#deliverHeld(w, batch[i]!, options, deliver);
      return;
    }
    let held: HeldSample | undefined;
    if (w === this.#lastWire) held = this.#lastHeld;
    else {
      this.#lastWire = w;
      this.#lastHeld = held = this.#takeOne(w);
    }
    if (held) this.#deliverHeld(w, held, options, deliver);
  }

  /** One held sample to one subscription: a message of it, or a copy for an ordinary subscription. */
  #deliverHeld(w: WireMessage, held: HeldSample, options: ReceiveOptions, deliver: (m: Message) => void): void {
    if (held.done) return;
    this.#host.counters.delivered++;
    if (!options.zeroCopy) {
      // An ordinary subscription gets its own copy, as with any message.
      deliver({ topic: w.topic, data: held.view().slice(), headers: w.headers, replyTo: w.replyTo, publisher: w.publisher, seq: w.seq });
      return;
    }
    held.ref();
    if (options.maxHold > 0 && (held.maxHold === 0 || options.maxHold < held.maxHold)) held.maxHold = options.maxHold;
    const m = new HeldMessage(w, held, this.#released);
    this.#fresh.push(m);
    deliver(m);
  }

  /** The samples of a batch PUB: each descriptor taken apart, so a bad one costs only itself. */
  #takeBatch(w: WireMessage): HeldSample[] {
    let b: BatchRead;
    try {
      b = readBatchOf(w, this.#batchRead);
    } catch (err) {
      this.#bad(w, err as Error);
      return [];
    }
    const out: HeldSample[] = [];
    for (let i = 0; i < b.count; i++) {
      const held = this.#take(w, b.pool, b.blocks[i]!, b.lengths[i]!, b.generations[i]!);
      if (held) out.push(held);
    }
    return out;
  }

  /** The sample of a one-sample PUB. */
  #takeOne(w: WireMessage): HeldSample | undefined {
    let d;
    try {
      d = readDescriptorOf(w); // shared: read at once
    } catch (err) {
      this.#bad(w, err as Error);
      return undefined;
    }
    return this.#take(w, d.pool, d.block, d.length, d.generation);
  }

  #bad(w: WireMessage, error: Error): void {
    this.#host.counters.badPayloads++;
    this.#host.events.next({ type: 'bad-payload', topic: w.topic, error });
  }

  /** Maps the sample a descriptor names; undefined (and a bad-payload event) when it cannot. */
  #take(w: WireMessage, poolName: string, block: number, length: number, generation: number): HeldSample | undefined {
    try {
      // The hub's own bus gets samples by a direct call that may overtake the lane answer still
      // in its in-process link: the hub then names the lane on the message itself.
      if (this.#lane === 0) this.#lane = (w as { lane?: number }).lane ?? 0;
      if (this.#lane === 0) throw new SampleError(`a sample arrived before this bus had a lane: topic=${w.topic}`);
      // The pool of the last sample first: a Map lookup per sample hashed the pool name.
      let entry = this.#lastPool;
      if (entry === undefined || entry.view.name !== poolName) {
        entry = this.#pools.get(poolName);
        if (!entry) {
          entry = { view: PoolView.open(poolName, this.#host.expect), used: 0 };
          this.#pools.set(poolName, entry);
        }
        this.#lastPool = entry;
      }
      if (!this.#turnQueued) {
        // The first sample of a delivery turn: one microtask ends the turn, one clock read dates it.
        this.#turnQueued = true;
        this.#turnNow = Date.now();
        queueMicrotask(this.#endTurn);
      }
      const now = this.#turnNow;
      entry.used = now;
      const lane = this.#lane;
      const pool = entry.view;
      if (!pool.matches(block, length, generation) || !pool.heldBy(block, lane)) {
        throw new SampleError(`stale sample handle: pool=${poolName} block=${block} generation=${generation}`);
      }
      let bytes;
      try {
        bytes = pool.sampleBytes(block, length);
      } catch (err) {
        pool.dropLane(block, lane); // ours, and unusable: give it back at once
        throw err;
      }
      const held = new HeldSample(pool, block, bytes, lane, this.#epoch, now, this.#freed);
      this.#held.add(held);
      // The delivery turn's reference: dropped once every local subscription had the message.
      this.#turn.push(held);
      this.#arm();
      return held;
    } catch (err) {
      this.#bad(w, err as Error);
      return undefined;
    }
  }

  /** Runs the sweep while anything is held or mapped. */
  #arm(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => this.#sweep(), SWEEP_MS);
    this.#timer.unref();
  }

  #sweep(): void {
    const now = Date.now();
    for (const h of this.#held.toArray()) {
      if (h.maxHold > 0 && now - h.since > h.maxHold) {
        h.revoke(true);
        this.#host.events.next({
          type: 'slow-consumer',
          detail: `a zero-copy sample was held past maxHold=${h.maxHold}ms: revoked (its data is now zero-length): pool=${h.pool.name} block=${h.block}`,
        });
      }
    }
    // A pool whose name is gone gets no new samples: close it once nothing of it is held.
    for (const [name, entry] of this.#pools) {
      if (now - entry.used < SWEEP_MS || existsSync(`/dev/shm${name}`)) continue;
      if (this.#held.toArray().some((h) => h.pool === entry.view)) continue;
      entry.view.close();
      this.#pools.delete(name);
      if (this.#lastPool === entry) this.#lastPool = undefined;
    }
    if (this.#held.size === 0 && this.#pools.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Gives everything back (the bus closes). */
  close(): void {
    this.#closed = true;
    this.#inbox?.unsubscribe();
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#dropAll(true);
  }
}

/** Is `w` a sample descriptor? */
export function isSample(w: WireMessage): boolean {
  return w.codec === SAMPLE_CODEC || w.codec === SAMPLE_BATCH_CODEC;
}

/**
 * A disposable message; `release` is called once. `data` is an accessor: zero-length once the
 * message is released or its sample revoked, so code that reads `m.data` after release sees
 * nothing rather than whatever the publisher wrote into the slot since.
 */
export function sampleMessage(w: { topic: string; headers?: Readonly<Record<string, string>> | undefined; replyTo?: string | undefined;
  publisher?: string | undefined; seq?: number | undefined; }, data: Uint8Array, release: () => void, held: () => boolean): SampleMessage {
  let released = false;
  const give = (): void => {
    if (released) return;
    released = true;
    release();
  };
  return {
    topic: w.topic, headers: w.headers, replyTo: w.replyTo, publisher: w.publisher, seq: w.seq,
    get data() { return !released && held() ? data : RELEASED; },
    release: give, [Symbol.dispose]: give,
    get held() { return !released && held(); },
  };
}

/** A message of a zeroCopy subscription that did not come as a sample (copy fallback). */
export function copiedSampleMessage(m: Message): SampleMessage {
  const data = m.data instanceof Uint8Array ? m.data : new Uint8Array(0);
  return sampleMessage(m, data, () => undefined, () => true);
}

