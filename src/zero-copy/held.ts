/**
 * One sample a receiving bus holds: its own read-only mapping and its lane bit in the pool. Every
 * message made from it counts a reference, plus one for the delivery turn (so subscriptions that
 * copy do not free it before the others got it). The last reference unmaps (the views then read
 * zeros) and THEN clears the bit, so the publisher never writes where a view still reads.
 * @module
 */
import type { MappedRegion } from '../native/mmap.js';
import type { PoolView } from './pool-reader.js';

export class HeldSample {
  readonly pool: PoolView;
  readonly block: number;
  readonly bit: bigint;
  readonly region: MappedRegion | undefined;
  readonly length: number;
  /** Connection epoch it was received in: a bit is only ours to clear within that epoch. */
  readonly epoch: number;
  readonly since = Date.now();
  /** ms it may be held (0: no limit). */
  maxHold = 0;
  #refs = 1;
  #done = false;
  readonly #onFree: (h: HeldSample, clearBit: boolean) => void;

  constructor(pool: PoolView, block: number, length: number, bit: bigint, region: MappedRegion | undefined, epoch: number,
    onFree: (h: HeldSample, clearBit: boolean) => void) {
    this.pool = pool;
    this.block = block;
    this.length = length;
    this.bit = bit;
    this.region = region;
    this.epoch = epoch;
    this.#onFree = onFree;
  }

  /** A view of the sample (empty for a zero-length one). */
  view(): Uint8Array {
    return this.region ? new Uint8Array(this.region.buffer, 0, this.length) : new Uint8Array(0);
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

  /** Gives it back now, whatever the count: unmap first, then the bit (when still ours). */
  revoke(clearBit: boolean): void {
    if (this.#done) return;
    this.#done = true;
    this.region?.release();
    this.#onFree(this, clearBit);
  }
}
