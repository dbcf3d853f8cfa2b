/**
 * The sending half of a shm connection: frames go straight into the outgoing ring while it has
 * room; the rest wait in order and are moved in as the reader frees space (`pump`, on the
 * doorbell). A frame written in place that cannot go into the ring now is written into memory
 * that is reused: a small one into a staging chunk (./staging.ts), a large one into a pooled
 * buffer (../framing/large-frame-pool.ts). Either is given back once the frame is in the ring.
 * @module
 */
import { view } from '../../bytes.js';
import { giveLargeFrame, takeLargeFrame } from '../framing/large-frame-pool.js';
import type { RingProducer } from './ring-producer.js';
import { Staging, type StagingChunk } from './staging.js';

/**
 * A sender that commits this many bytes without yielding (a synchronous loop, or one that only
 * awaits resolved promises, never reaches `process.nextTick`) flushes at once, so a parked reader
 * starts on the burst instead of finding a full ring at its end.
 */
const EARLY_FLUSH_BYTES = 64 * 1024;

/**
 * Frames from this size that cannot go straight into the ring are written in place into a
 * pooled buffer of their own; smaller ones into a staging chunk shared with other frames.
 */
const POOLED_FROM = 32 * 1024;

/** What the outbox needs from its connection. */
export interface OutboxHost {
  /** Publishes the tail now and rings the reader if it is parked (nothing once released). */
  publish(): void;
  /** Publishes the tail at the end of this turn. */
  scheduleFlush(): void;
  /** The frames that waited are in the ring: writers may go on. */
  writable(): void;
}

interface Pending {
  chunks: readonly Uint8Array[];
  size: number;
  /** A pooled buffer holding the frame (written in place), given back once it is in the ring. */
  pooled?: Uint8Array;
  /** The staging chunk holding the frame (written in place), told once the frame is in the ring. */
  staged?: StagingChunk;
}

/** The sending half (see the module comment). */
export class RingOutbox {
  readonly #out: RingProducer;
  readonly #host: OutboxHost;
  /** Ring a parked reader at each commit (`spin`), not at the end of the turn. */
  readonly #eager: boolean;
  /** Frames accepted while the ring was full, oldest first (the first may be partly written). */
  #pending: Pending[] = [];
  readonly #staging = new Staging();
  /** Size of the frame reserved in place (`reserve`). */
  #reservedSize = 0;
  /** Where the frame reserved in place goes when it is not in the ring: a pooled buffer, a staging chunk. */
  #reservedPooled: Uint8Array | undefined;
  #reservedStaged: StagingChunk | undefined;
  #reservedAt = 0;
  /** Size of a large frame written in place whose like found no room after it (`#roomAfter`); 0: none. */
  #awaitingRoom = 0;
  /** The buffer of the last successful `reserve`. */
  reservedBuffer: Uint8Array = new Uint8Array(0);

  constructor(out: RingProducer, host: OutboxHost, eager: boolean) {
    this.#out = out;
    this.#host = host;
    this.#eager = eager;
  }

  /** How full the outgoing ring is (frames waiting for room count as full). */
  get fill(): number {
    return this.#pending.length > 0 ? 1 : this.#out.fill;
  }

  /** True while frames wait for ring space. */
  get waiting(): boolean {
    return this.#pending.length > 0;
  }

  /** One frame in one piece, without the chunk list `writeChunks` would allocate per call. */
  writeFrame(frame: Uint8Array): boolean {
    if (this.#pending.length === 0 && this.#out.offerOne(frame)) {
      this.#committed();
      return true;
    }
    return this.writeChunks([frame], frame.length);
  }

  writeChunks(chunks: readonly Uint8Array[], size: number): boolean {
    if (this.#pending.length === 0 && this.#out.offer(chunks, size)) {
      this.#committed();
      return true;
    }
    this.#pending.push({ chunks, size });
    return this.pump();
  }

  /**
   * Frames are encoded straight into the ring when they fit one record and the ring has room
   * now. Otherwise (a frame larger than a record, frames waiting for room, a full ring) the frame
   * is encoded into reused memory (see the module comment) and copied into the ring from there:
   * a publish never allocates fresh memory for it (a fresh 1 MiB buffer per frame cost more than
   * both copies; a fresh 4 KiB, a page fault in two or three frames). Returns the offset in
   * `reservedBuffer`.
   */
  reserve(size: number): number {
    this.#reservedSize = size;
    // A reservation never committed (its encoder threw) leaves nothing behind but unused room.
    this.#reservedStaged = undefined;
    this.#reservedPooled = undefined;
    if (this.#pending.length === 0) {
      const at = this.#out.reserveWhole(size);
      if (at >= 0) {
        this.reservedBuffer = this.#out.bytes;
        return at;
      }
    }
    if (size < POOLED_FROM) {
      const at = this.#staging.cut(size);
      const chunk = this.#staging.current;
      this.#reservedStaged = chunk;
      this.#reservedAt = at;
      this.reservedBuffer = chunk.bytes;
      return at;
    }
    const buf = takeLargeFrame(size);
    this.#reservedPooled = buf;
    this.reservedBuffer = buf;
    return 0;
  }

  /** Sends the frame reserved last; false when the ring has no room for more now. */
  commit(): boolean {
    const size = this.#reservedSize;
    const staged = this.#reservedStaged;
    if (staged !== undefined) {
      this.#reservedStaged = undefined;
      const at = this.#reservedAt;
      this.#staging.committed(staged);
      return this.#offerOrWait({ chunks: [view(staged.bytes, at, at + size)], size, staged });
    }
    const pooled = this.#reservedPooled;
    if (pooled !== undefined) {
      this.#reservedPooled = undefined;
      return this.#offerOrWait({ chunks: [view(pooled, 0, size)], size, pooled });
    }
    this.#out.commitWhole(size);
    this.#committed();
    return size < POOLED_FROM || this.#roomAfter(size);
  }

  /** A frame written in reused memory: into the ring now if nothing waits and it fits, else queued. */
  #offerOrWait(f: Pending): boolean {
    if (this.#pending.length === 0 && this.#out.offer(f.chunks, f.size)) {
      this.#sent(f);
      this.#committed();
      return true;
    }
    this.#pending.push(f);
    return this.pump();
  }

  /** `f` is all in the ring: its memory is free again. */
  #sent(f: Pending): void {
    if (f.pooled !== undefined) giveLargeFrame(f.pooled);
    else if (f.staged !== undefined) this.#staging.sent(f.staged);
  }

  /**
   * After a large frame written in place: true when another of its size fits now; else "full"
   * until the reader freed room for one (`onRing`), so the next frame too goes straight into the
   * ring. Told "room", a sender encoded it into a pooled buffer at once (the ring was full): one
   * more copy of the whole frame (1 MiB: ~40 µs of CPU, on about every other frame of a stream).
   */
  #roomAfter(size: number): boolean {
    if (this.#out.hasRoomFor(size)) return true;
    this.#host.publish(); // the reader must see what is in the ring to free room
    if (this.#out.parkUnlessRoomFor(size)) return true;
    this.#awaitingRoom = size;
    return false;
  }

  /**
   * A frame is in the ring: the reader hears of it at the end of the turn, or now after a long
   * burst. With `spin` (latency bought with CPU) a parked reader is rung now: the end of the turn
   * may be a whole chain of promise callbacks away (tens of µs). A polling reader sees the commit
   * by itself, so that costs one atomic load per frame and nothing else.
   */
  #committed(): void {
    const out = this.#out;
    if (out.unflushedBytes >= EARLY_FLUSH_BYTES || (this.#eager && out.consumerParked())) this.#host.publish();
    else this.#host.scheduleFlush();
  }

  /** Moves waiting frames into the ring; parks for space (and returns false) when it is full. */
  pump(): boolean {
    const out = this.#out;
    // Whatever gets committed below (a whole frame or pieces of one) must reach a parked reader.
    this.#host.scheduleFlush();
    while (this.#pending.length > 0) {
      const f = this.#pending[0]!;
      if (!out.offer(f.chunks, f.size)) {
        // Full: the reader must see what is in the ring now to free space (no waiting for the turn).
        this.#host.publish();
        out.parkForSpace();
        // Re-check after raising the flag: the consumer may have freed space in between.
        if (!out.offer(f.chunks, f.size)) return false;
        out.unparkForSpace();
      }
      this.#pending.shift();
      this.#sent(f);
    }
    this.#awaitingRoom = 0; // a sender that wrote on regardless: the pending frames were its wait
    this.#host.writable();
    return true;
  }

  /**
   * The reader freed space (the doorbell rang): waiting frames go in; a sender told "full" after
   * a large frame (`#roomAfter`) hears of room for the next.
   */
  onSpace(): void {
    if (this.#pending.length > 0) this.pump();
    else if (this.#awaitingRoom > 0 && this.#roomAfter(this.#awaitingRoom)) {
      this.#awaitingRoom = 0;
      this.#host.writable();
    }
  }

  /** Drops what waits (the connection is released); no frame is cut any more. */
  close(): void {
    this.#pending = [];
    this.#staging.close();
  }
}
