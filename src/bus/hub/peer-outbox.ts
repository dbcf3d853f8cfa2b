/**
 * One peer's outbound queue in the hub: what the router wrote to a connection that was full.
 *
 * Why: a router that stops reading from every peer for as long as one peer's connection is full
 * lets one slow reader throttle everyone (a subscriber that reads 0.3 s every 4 s cut everyone's
 * throughput to ~16%). Now a peer whose connection is full *holds* the router (backpressure:
 * publishers wait, nothing is lost) only while it makes progress: each time its connection
 * drains it may hold for another `backpressureGrace` ms. So a subscriber that keeps reading sets
 * the pace losslessly, as before, but one that stops reading holds nobody for longer than the
 * grace: the router routes on without it, frames for it wait here, in order, and go out as its
 * connection drains. The harm is then bounded by bytes: an outbox past
 * `maxPendingBytes`, or a connection that stays full past `maxStall`, makes the peer a slow
 * consumer (the router drops it with an ERR). Nothing accepted for another peer is lost.
 *
 * Every frame for a peer goes through its outbox (PUB, QPUB, PONG, PEERS...), so a PONG never
 * overtakes the messages routed before it: the flush barrier holds.
 * @module
 */
import type { Connection } from '../../transports/transport.js';
import { Deadline } from './deadline.js';

/** Why an outbox gives up on its peer. */
/** Why a peer is a slow consumer (`hold`: it kept a zero-copy sample past `maxHold`, ../../zero-copy/hold-watch.ts). */
export type OutboxOverflow = 'bytes' | 'stall' | 'hold';

export interface PeerOutboxOptions {
  /** Bytes that may wait here before the peer is a slow consumer. */
  readonly maxPendingBytes: number;
  /** ms the connection may stay full before the peer is a slow consumer. */
  readonly maxStall: number;
  /** ms a full connection of a caught-up peer may hold the router (see `onHold`). */
  readonly backpressureGrace: number;
  /** The peer starts (true) or stops (false) holding the router: stop or restart reading. */
  readonly onHold: (holding: boolean) => void;
  /** The peer exceeded a bound; called once. */
  readonly onOverflow: (why: OutboxOverflow) => void;
  /** Bytes waiting here changed by `delta` (the router keeps a hub-wide total). */
  readonly onPending: (delta: number) => void;
}

type Frame = Uint8Array | readonly Uint8Array[];

function sizeOf(frame: Frame): number {
  if (frame instanceof Uint8Array) return frame.length;
  let n = 0;
  for (let i = 0; i < frame.length; i++) n += frame[i]!.length;
  return n;
}

export class PeerOutbox {
  readonly #conn: Connection;
  readonly #options: PeerOutboxOptions;
  #queue: Frame[] = [];
  #head = 0;
  #bytes = 0;
  /** The connection said it is full: frames wait here until it drains. */
  #full = false;
  /** Reached when the peer takes nothing for `maxStall` while full: it is dropped. */
  readonly #stall: Deadline;
  #holding = false;
  /** Reached when the peer filled and made no progress for `backpressureGrace`: stop holding. */
  readonly #grace: Deadline;
  #shut = false;
  /** After `spill()`: frames go straight into the connection, whatever its room. */
  #direct = false;

  constructor(conn: Connection, options: PeerOutboxOptions) {
    this.#conn = conn;
    this.#options = options;
    this.#stall = new Deadline(options.maxStall, () => this.#overflow('stall'));
    this.#grace = new Deadline(options.backpressureGrace, () => this.#endHolding());
  }

  /** Frames `shut()` discarded (never handed to the connection). */
  discarded = 0;

  /** Bytes waiting for the connection. */
  get pendingBytes(): number {
    return this.#bytes;
  }

  /**
   * Hands `frame` to the peer: to its connection, or queued behind what waits. False when the
   * connection refused it (too large for it, closing) or the outbox is shut: not handed.
   */
  write(frame: Frame): boolean {
    if (this.#shut) return false;
    if (!this.#full || this.#direct) {
      let room: boolean;
      try {
        room = this.#conn.write(frame);
      } catch {
        // Too large for this peer's limit, or it is closing: skip this delivery only.
        return false;
      }
      if (!room && !this.#direct) this.#waitForRoom();
      return true;
    }
    // A frame larger than the connection takes would fail later, out of order: refuse it now.
    const size = sizeOf(frame);
    if (size > this.#conn.maxFrameSize) return false;
    this.#queue.push(frame);
    this.#bytes += size;
    this.#options.onPending(size);
    if (this.#bytes > this.#options.maxPendingBytes) {
      // Not handed: the peer is dropped with it (a queue group picks another member).
      this.#overflow('bytes');
      return false;
    }
    return true;
  }

  /** True when the connection takes frames now and nothing waits here: a frame may be written to it directly (./own-now.ts), then reported with `wrote`. */
  get clear(): boolean {
    return !this.#full && !this.#shut && !this.#direct;
  }

  /**
   * True when nothing waits here (the connection may be full): a frame written to the connection
   * directly now goes out after everything handed to this peer before (./own-now.ts, past a full
   * connection while the peer holds the router).
   */
  get empty(): boolean {
    return this.#head === this.#queue.length && !this.#shut && !this.#direct;
  }

  /**
   * A frame was written to the connection directly while `clear` (or `empty`); `room`: what the
   * connection said after it. Already full: it is waited for already, and its grace is not
   * renewed (only the connection's progress renews it).
   */
  wrote(room: boolean): void {
    if (!room && !this.#full) this.#waitForRoom();
  }

  /** Holds the router for another grace period (the connection just filled, after progress). */
  #startHolding(): void {
    this.#grace.arm();
    if (this.#holding) return;
    this.#holding = true;
    this.#options.onHold(true);
  }

  #endHolding(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#grace.disarm();
    this.#options.onHold(false);
  }

  /** The connection is full: hold the router for a grace period and wait for room (progress). */
  #waitForRoom(): void {
    this.#startHolding();
    this.#full = true;
    this.#stall.arm();
    this.#conn.drained().then(() => this.#pump(), () => this.shut());
  }

  /** The connection has room: send what waits, in order, until it is full again. */
  #pump(): void {
    if (this.#shut || this.#direct) return;
    this.#stall.disarm();
    this.#full = false;
    while (this.#head < this.#queue.length) {
      const frame = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      const size = sizeOf(frame);
      this.#bytes -= size;
      this.#options.onPending(-size);
      let room: boolean;
      try {
        room = this.#conn.write(frame);
      } catch {
        this.shut();
        return;
      }
      if (!room) {
        this.#compact();
        this.#waitForRoom();
        return;
      }
    }
    this.#queue = [];
    this.#head = 0;
    this.#endHolding();
  }

  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #overflow(why: OutboxOverflow): void {
    if (this.#shut) return;
    this.shut();
    this.#options.onOverflow(why);
  }

  /**
   * The hub is stopping: everything that waits goes into the connection now (its `close()`
   * flushes it, bounded), and so does every later frame. No more stall or byte bounds.
   */
  spill(): void {
    if (this.#shut || this.#direct) return;
    this.#direct = true;
    this.#stall.cancel();
    this.#endHolding();
    this.#grace.cancel();
    const queue = this.#queue.slice(this.#head);
    this.#queue = [];
    this.#head = 0;
    if (this.#bytes > 0) this.#options.onPending(-this.#bytes);
    this.#bytes = 0;
    for (const frame of queue) {
      try {
        this.#conn.write(frame);
      } catch {
        return;
      }
    }
  }

  /**
   * Stops taking frames and forgets what waits (the peer is leaving or dropped): returns how many
   * frames were discarded. Idempotent.
   */
  shut(): number {
    if (this.#shut) return 0;
    this.#shut = true;
    this.#stall.cancel();
    this.#endHolding();
    this.#grace.cancel();
    const dropped = this.#queue.length - this.#head;
    this.discarded += dropped;
    if (this.#bytes > 0) this.#options.onPending(-this.#bytes);
    this.#bytes = 0;
    this.#queue = [];
    this.#head = 0;
    return dropped;
  }
}
