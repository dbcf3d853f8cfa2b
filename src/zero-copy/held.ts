/**
 * One sample a receiving bus holds: a read-only view into its pool's one mapping and its lane bit
 * in the pool. Every message made from it counts a reference, plus one for the delivery turn (so
 * subscriptions that copy do not free it before the others got it). The last reference clears the
 * bit; messages then hand out zero-length data, and a view the user kept from before may see the
 * slot's next sample (never unmapped memory: see ./pool-reader.ts).
 * @module
 */
import type { Linked } from './held-list.js';
import type { PoolView } from './pool-reader.js';
import type { SampleMessage } from './sample.js';

export class HeldSample implements Linked<HeldSample> {
  readonly pool: PoolView;
  readonly block: number;
  /** The receiving lane: its bit in the holders word is this bus's hold. */
  readonly lane: number;
  readonly length: number;
  readonly #bytes: Uint8Array;
  /** Connection epoch it was received in: a bit is only ours to clear within that epoch. */
  readonly epoch: number;
  /** When it was received (Date.now()). */
  readonly since: number;
  /** ms it may be held (0: no limit). */
  maxHold = 0;
  #refs = 1;
  #done = false;
  readonly #onFree: (h: HeldSample, clearBit: boolean) => void;
  /** The receiver's list of held samples (./held-list.ts). */
  listPrev: HeldSample | undefined = undefined;
  listNext: HeldSample | undefined = undefined;
  listed = false;

  constructor(pool: PoolView, block: number, bytes: Uint8Array, lane: number, epoch: number, since: number,
    onFree: (h: HeldSample, clearBit: boolean) => void) {
    this.pool = pool;
    this.block = block;
    this.length = bytes.length;
    this.lane = lane;
    this.#bytes = bytes;
    this.epoch = epoch;
    this.since = since;
    this.#onFree = onFree;
  }

  /** The sample's bytes (a view into the pool; meaningful only while not done). */
  view(): Uint8Array {
    return this.#bytes;
  }

  get done(): boolean {
    return this.#done;
  }

  ref(): void {
    this.#refs++;
  }

  unref(): void {
    if (this.#done) return;
    if (--this.#refs === 0) this.revoke(true);
  }

  /** Gives it back now, whatever the count: its messages' data turns zero-length, then the bit goes (when still ours). */
  revoke(clearBit: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.#onFree(this, clearBit);
  }
}

/** What `data` is once a message was released (shared: a zero-length array holds nothing). */
export const RELEASED = new Uint8Array(0);

/**
 * A message of a zero-copy subscription made from a {@link HeldSample}: one object per message,
 * no closures (they were most of a sample's cost on the receiver). `data` is an accessor:
 * zero-length once released or revoked, so code that reads `m.data` after release sees nothing
 * rather than whatever the publisher wrote into the slot since.
 */
export class HeldMessage implements SampleMessage {
  readonly topic: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly replyTo: string | undefined;
  readonly publisher: string | undefined;
  readonly seq: number | undefined;
  readonly sample: HeldSample;
  /** Registered with the receiver's FinalizationRegistry (only messages still held after their delivery turn are). */
  registered = false;
  #released = false;
  readonly #onRelease: (m: HeldMessage) => void;

  constructor(w: MessageFields, sample: HeldSample, onRelease: (m: HeldMessage) => void) {
    this.topic = w.topic;
    this.headers = w.headers;
    this.replyTo = w.replyTo;
    this.publisher = w.publisher;
    this.seq = w.seq;
    this.sample = sample;
    this.#onRelease = onRelease;
  }

  get data(): Uint8Array {
    return !this.#released && !this.sample.done ? this.sample.view() : RELEASED;
  }

  get held(): boolean {
    return !this.#released && !this.sample.done;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this);
    this.sample.unref();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** The envelope fields a message copies from its wire message. */
export interface MessageFields {
  readonly topic: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly replyTo?: string | undefined;
  readonly publisher?: string | undefined;
  readonly seq?: number | undefined;
}
