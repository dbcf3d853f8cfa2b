/**
 * When the router reads: its flow control, apart from the routing it throttles.
 *
 * Backpressure: a subscriber whose connection fills holds the router (it stops reading from every
 * peer: publishers wait, nothing is lost) for at most `backpressureGrace` ms; past that, what the
 * router writes to it waits in its outbox (./peer-outbox.ts) and the router goes on, so a reader
 * that stops reading does not stop anyone else. A peer whose outbox passes `maxPendingBytes`, or
 * whose connection stays full past `maxStall`, is a slow consumer (`slowConsumerError`): it gets
 * ERR `ERR_UNIBUS_SLOW_CONSUMER`, then its connection is closed. When all outboxes together pass
 * `maxPendingTotal` the router also stops reading from every peer until half of that has drained.
 * The hub's own buffers can hold it too (`holdInput`). This file only decides *whether* the router
 * reads and pauses or resumes every connection when that changes; it is not on the per-message path.
 * @module
 */
import { SlowConsumerError } from '../../errors.js';
import type { HubLimits } from './limits.js';
import { PeerOutbox, type OutboxOverflow } from './peer-outbox.js';
import type { RouterPeer } from './router-peer.js';

export class RouterFlow {
  readonly #limits: HubLimits;
  readonly #peers: ReadonlySet<RouterPeer>;
  readonly #closed: () => boolean;
  /** Bytes waiting in every peer's outbox; past `maxPendingTotal` the router stops reading. */
  #pendingTotal = 0;
  #overCap = false;
  /** Peers holding the router within their `backpressureGrace`: it does not read meanwhile. */
  readonly #holding = new Set<RouterPeer>();
  /** `holdInput` calls not yet undone. */
  #holds = 0;

  /** `peers`: the router's live set (paused and resumed together); `closed`: the router is closing. */
  constructor(limits: HubLimits, peers: ReadonlySet<RouterPeer>, closed: () => boolean) {
    this.#limits = limits;
    this.#peers = peers;
    this.#closed = closed;
  }

  /** Resolved once the router reads again (`untilReading`). */
  #readingAgain: { promise: Promise<void>; resolve: () => void } | undefined;

  /** True while the router reads from its peers. */
  get reading(): boolean {
    return !this.#overCap && this.#holds === 0 && this.#holding.size === 0;
  }

  /**
   * True when only full connections of peers within their grace keep the router from reading
   * (not the hub-wide bound, not `holdInput`): a hub's own publish may still be written to such
   * peers (./own-now.ts), then wait (`untilReading`) as the publishers held by the router do.
   */
  get heldByPeersOnly(): boolean {
    return !this.#overCap && this.#holds === 0;
  }

  /** Resolves once the router reads again or closes (undefined: it reads). */
  untilReading(): Promise<void> | undefined {
    if (this.reading || this.#closed()) return undefined;
    if (this.#readingAgain === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      this.#readingAgain = { promise, resolve };
    }
    return this.#readingAgain.promise;
  }

  /** The router closes: nobody waits for it to read again. */
  close(): void {
    this.#wake();
  }

  #wake(): void {
    const again = this.#readingAgain;
    this.#readingAgain = undefined;
    again?.resolve();
  }

  /** `peer`'s outbox, wired to this flow control; `onOverflow`: it became a slow consumer. */
  outbox(peer: RouterPeer, onOverflow: (why: OutboxOverflow) => void): PeerOutbox {
    // The hub's own bus is never a slow consumer: its frames here are control frames only.
    return new PeerOutbox(peer.conn, {
      maxPendingBytes: peer.local ? Infinity : this.#limits.maxPendingBytes,
      maxStall: peer.local ? 2 ** 31 - 1 : this.#limits.maxStall,
      backpressureGrace: this.#limits.backpressureGrace,
      onHold: (holding) => this.hold(peer, holding),
      onOverflow,
      onPending: (delta) => this.pending(delta),
    });
  }

  /** True while `peer`'s full connection holds the router (within its grace). */
  isHolding(peer: RouterPeer): boolean {
    return this.#holding.has(peer);
  }

  /** Stops (+1) or restarts (-1) reading from every peer: the hub's own buffers are full. */
  holdInput(delta: 1 | -1): void {
    const before = this.reading;
    this.#holds += delta;
    this.#setReading(before);
  }

  /** A peer starts or stops holding the router (its connection is full, within its grace). */
  hold(peer: RouterPeer, holding: boolean): void {
    const before = this.reading;
    if (holding) this.#holding.add(peer);
    else this.#holding.delete(peer);
    this.#setReading(before);
  }

  /** The hub-wide total of bytes waiting in outboxes changed: stop or restart reading. */
  pending(delta: number): void {
    this.#pendingTotal += delta;
    const before = this.reading;
    if (!this.#overCap && this.#pendingTotal > this.#limits.maxPendingTotal) this.#overCap = true;
    else if (this.#overCap && this.#pendingTotal <= this.#limits.maxPendingTotal / 2) this.#overCap = false;
    else return;
    this.#setReading(before);
  }

  #setReading(before: boolean): void {
    const now = this.reading;
    if (now) this.#wake();
    if (now === before || this.#closed()) return;
    for (const p of this.#peers) if (now && !p.failure && !p.slowError) p.conn.resume(); else p.conn.pause();
  }
}

/** Why `peer` is dropped as a slow consumer (the bound it passed), for its ERR and `peer-left`. */
export function slowConsumerError(peer: RouterPeer, why: OutboxOverflow, limits: HubLimits): SlowConsumerError {
  const bound = why === 'bytes' ? `more than maxPendingBytes=${limits.maxPendingBytes} waited for it`
    : why === 'hold' ? `it held a zero-copy sample longer than maxHold=${limits.maxHold}ms`
    : `its connection stayed full for maxStall=${limits.maxStall}ms`;
  return new SlowConsumerError(`peer=${peer.id} name=${peer.hello?.name ?? '?'}: ${bound}; ${peer.outbox.discarded} frames not delivered`);
}
