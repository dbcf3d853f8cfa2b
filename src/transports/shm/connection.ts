/**
 * One shm connection: an outbound ring this side produces into, an inbound ring it consumes,
 * its own doorbell (woken for "data arrived" and "space freed") and a rope to the peer's.
 *
 * Hot path: `writeChunks` copies the frame into the ring and returns (./ring-outbox.ts); the
 * doorbell check (one atomic compare-exchange, and a 1-byte write only if the consumer is parked)
 * runs once per event-loop turn on `process.nextTick`. Reading copies each record out (frames are owned by the
 * receiver) in batches, then publishes the head once. No promise or closure per frame. A hub's
 * router that only forwards a frame is lent it instead (`lendFrames`, ../frame-lending.ts).
 *
 * Teardown: the peer watcher and heartbeat stop, the rings drop their views (`retire`), then the
 * mapping is released: no callback can reach the memory afterwards.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { InPlaceConnection } from '../in-place-connection.js';
import type { FillReporter } from '../capabilities.js';
import type { FrameLender } from '../frame-lending.js';
import type { PeerInfo } from '../transport.js';
import { BellRope, Doorbell } from './doorbell.js';
import { ringOffset } from './layout.js';
import type { ShmOptions } from './options.js';
import { PeerWatch } from './peer-watch.js';
import { RingConsumer, RingProducer, segmentViews } from './ring.js';
import { RingOutbox } from './ring-outbox.js';
import type { Segment } from './segment.js';
import { spinOff, spinOn, type SpinningReader } from './spinner.js';

/** Frames delivered per drain before yielding to the event loop. */
const DRAIN_BATCH = 4096;
/**
 * Frames from this size are lent (`lendFrames`); smaller ones are copied out in runs as before:
 * one copy for many small records costs less than a lend per frame (hub CPU per relayed
 * message: at 64 B 0.7-0.9 µs copied in runs, 1.0 lent; at 1 KiB 1.9-2.0 both ways).
 */
const LEND_FROM = 1024;

/** How long a graceful close waits for the peer to take frames still waiting for ring space. */
const FLUSH_TIMEOUT = 2000;

export interface ShmConnectionInit {
  readonly segment: Segment;
  readonly side: 'hub' | 'client';
  readonly bell: Doorbell;
  readonly rope: BellRope;
  readonly peerPid: number;
  readonly options: ShmOptions;
  /** Called once after everything is released (e.g. remove names the peer never removed). */
  readonly onRelease?: () => void;
}

export class ShmConnection extends InPlaceConnection implements FillReporter, FrameLender {
  readonly #init: ShmConnectionInit;
  readonly #out: RingProducer;
  readonly #in: RingConsumer;
  readonly #peer: PeerInfo;
  /** Polling time (ms) before an emptied ring parks its reader. */
  readonly #graceMs: number;
  /** The sending half: the ring's producer and the frames waiting for its room. */
  readonly #outbox: RingOutbox;
  #released = false;
  #peerGone = false;
  #lastActivity = 0;
  #flushedWaiter: (() => void) | undefined;
  /** The peer's pid and heartbeat (./peer-watch.ts). */
  readonly #peerWatch: PeerWatch;
  /** Who is lent frames first (`lendFrames`), if anyone. */
  #lender: ((frame: Uint8Array) => boolean) | undefined;
  /** This reader as the spinner polls it in its spin window (./spinner.ts). */
  readonly #spinning: SpinningReader = {
    hasWork: () => !this.#released && (this.#in.ready() || this.#in.producerClosed()),
    poll: () => this.#drain(false),
  };

  constructor(init: ShmConnectionInit) {
    super(init.options.maxFrameSize);
    this.#init = init;
    const { segment, side } = init;
    const views = segmentViews(segment.region.buffer);
    const c = segment.capacity;
    // Ring 0 carries client → hub, ring 1 hub → client.
    this.#out = new RingProducer(views, ringOffset(c, side === 'client' ? 0 : 1), c);
    this.#in = new RingConsumer(views, ringOffset(c, side === 'client' ? 1 : 0), c, init.options.maxFrameSize,
      () => init.rope.ring());
    this.#peer = { pid: init.peerPid, uid: segment.uid };
    this.#graceMs = init.options.spinMicros / 1000;
    this.#outbox = new RingOutbox(this.#out, {
      publish: () => this.#publish(),
      scheduleFlush: () => this.scheduleFlush(),
      writable: () => {
        this.notifyWritable();
        this.#flushedWaiter?.();
      },
    }, this.#graceMs > 0);
    init.bell.onRing = this.#onRing;
    this.#peerWatch = new PeerWatch(views.i32, side, init.peerPid, init.options.peerTimeout, () => this.#onPeerExit());
  }

  override get peer(): PeerInfo {
    return this.#peer;
  }

  /** How full the outgoing ring is (frames waiting for room count as full). */
  fill(): number {
    return this.#outbox.fill;
  }

  // ---- sending (./ring-outbox.ts) --------------------------------------------------------------

  /** One frame in one piece (what a hub forwards, once per subscriber), without a chunk list per call. */
  protected override writeFrame(frame: Uint8Array): boolean {
    return this.#outbox.writeFrame(frame);
  }

  protected writeChunks(chunks: readonly Uint8Array[], size: number): boolean {
    return this.#outbox.writeChunks(chunks, size);
  }

  protected reserveInPlace(size: number): number {
    const at = this.#outbox.reserve(size);
    this.reservedBuffer = this.#outbox.reservedBuffer;
    return at;
  }

  protected commitInPlace(): boolean {
    return this.#outbox.commit();
  }

  /** Once per turn (or per burst): publish the tail and ring the peer if it sleeps waiting for data. */
  protected override flush(): void {
    this.#publish();
  }

  #publish(): void {
    if (this.#released) return;
    if (this.#out.flush()) this.#init.rope.ring();
  }

  // ---- receiving -----------------------------------------------------------------------------

  /** Frames from LEND_FROM bytes are lent to `use` first (../frame-lending.ts); what it declines is delivered. */
  lendFrames(use: (frame: Uint8Array) => boolean): void {
    this.#lender = use;
  }

  /** Lends `frame` (a lent view) to the lender; delivers a copy of its own when declined. */
  #lend(input: RingConsumer, frame: Uint8Array): void {
    let kept: Uint8Array | undefined;
    try {
      if (!this.#lender!(frame)) kept = input.keep(frame);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.destroy(e instanceof ProtocolError ? 'protocol' : 'error', e);
    } finally {
      input.endLend();
    }
    if (kept !== undefined) this.deliver(kept);
  }

  /** `scheduleRead()`: deliver what the ring holds (the base class runs it on a later turn). */
  protected override readTurn(): void {
    this.#drain(false);
  }

  /** The doorbell rang: data arrived, or space was freed for frames waiting to be sent. */
  readonly #onRing = (): void => {
    if (this.#released) return;
    this.#outbox.onSpace();
    if (this.reading) this.#drain(false);
  };

  /**
   * Delivers committed frames. `all`: the peer is gone, take everything it committed whatever
   * the reader's pace. Parks (or spins) when the ring is empty.
   */
  #drain(all: boolean): void {
    const input = this.#in;
    for (;;) {
      if (this.#released || (!this.reading && !all)) return;
      let delivered = 0;
      let frame: Uint8Array | null;
      // Lent only while frames are read as they come (`all`: the peer is gone, keep them all).
      const lendFrom = this.#lender !== undefined && !all ? LEND_FROM : 0;
      try {
        while ((frame = input.read(lendFrom)) !== null) {
          if (input.lent) this.#lend(input, frame);
          else this.deliver(frame);
          if (this.#released || (!this.reading && !all)) break;
          if (++delivered >= DRAIN_BATCH && !all) break;
        }
      } catch (err) {
        if (err instanceof ProtocolError) {
          this.destroy('protocol', err);
          return;
        }
        throw err;
      }
      if (this.#released) return;
      if (input.publish()) this.#init.rope.ring();
      if (delivered > 0) this.#lastActivity = performance.now();
      if (all || !this.reading) return;
      if (delivered >= DRAIN_BATCH) {
        this.scheduleRead(); // more is waiting: continue after other I/O had its turn
        return;
      }
      if (input.producerClosed() && !input.ready()) {
        this.#ended(input.discardPartial() > 0 ? 'the peer closed mid-frame' : undefined);
        return;
      }
      if (this.#graceMs > 0 && performance.now() - this.#lastActivity < this.#graceMs) {
        // Spin: polled with every other spinning reader of the process, in bounded slices.
        spinOn(this.#spinning);
        return;
      }
      if (input.park()) return; // asleep until the producer rings
    }
  }

  #ended(torn?: string): void {
    this.mediumEnded(torn ? { reason: 'clean', error: new ProtocolError(torn) } : { reason: 'clean' });
  }

  // ---- peer liveness -------------------------------------------------------------------------

  #onPeerExit(): void {
    if (this.#released || this.#peerGone) return;
    this.#peerGone = true;
    // A peer gone is not its data gone: take every record it committed, drop a torn frame.
    this.#drain(true);
    if (this.#released) return;
    const torn = this.#in.discardPartial();
    this.mediumEnded(torn > 0
      ? { reason: 'peer-gone', error: new ProtocolError(`peer left mid-frame with ${torn} bytes pending`) }
      : { reason: 'peer-gone' });
  }

  // ---- teardown ------------------------------------------------------------------------------

  protected async release(graceful: boolean): Promise<void> {
    if (this.#released) return;
    if (!graceful) this.#flushedWaiter?.(); // a graceful close waiting for space gives up
    if (graceful && !this.#peerGone && this.#outbox.waiting) await this.#waitFlushed();
    if (this.#released) return;
    if (!this.#peerGone) {
      // After the last commit (a frame still waiting for space is never half-announced: the
      // reader drops a torn piece): the consumer drains everything, then sees the end.
      this.#out.markClosed();
      if (this.#out.flush()) this.#init.rope.ring();
    }
    this.#released = true;
    spinOff(this.#spinning);
    this.#outbox.close();
    this.#peerWatch.close();
    this.#init.bell.close();
    this.#init.rope.close();
    // Views first, then the mapping: nothing can touch the memory after this point.
    this.#out.retire();
    this.#in.retire();
    this.#init.segment.region.release();
    this.#init.onRelease?.();
  }

  /** Waits until frames waiting for space are in the ring, at most FLUSH_TIMEOUT. */
  #waitFlushed(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#flushedWaiter = undefined;
        resolve();
      };
      const timer = setTimeout(done, FLUSH_TIMEOUT);
      this.#flushedWaiter = done;
    });
  }
}
