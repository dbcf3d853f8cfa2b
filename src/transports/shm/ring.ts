/**
 * The single-producer/single-consumer ring algorithm over the layout in `layout.ts`.
 *
 * Memory ordering: JavaScript `Atomics` operations are sequentially consistent, and a plain
 * write before an `Atomics.store` is visible to an agent whose `Atomics.load` reads that store.
 * Each ordering point below is marked `ORDER:`.
 *
 * - The producer writes a record's body and kind, zeroes the header after it, then stores the
 *   length (the commit). The consumer loads the length first: 0 means nothing more yet. A producer
 *   killed before its commit leaves a 0 there, so a torn record is never read.
 * - The consumer copies a record out, then publishes its new head; the producer reuses space only
 *   below the head it loaded. Head and tail are 64-bit positions that only grow.
 * - Parking (no lost wake-ups, Dekker style): the sleeper stores its parked flag, then re-checks the
 *   ring; the other side changes the ring, then takes the flag (compare-exchange 1 → 0) and rings
 *   the sleeper's doorbell only if it took it. Either the sleeper sees the change or the waker
 *   sees the flag.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import {
  Control, FIRST_PREFIX_BYTES, Kind, RECORD_HEADER_BYTES, RING_CONTROL_BYTES, align, maxRecordBytes,
} from './layout.js';

/** Views over one segment, shared by its two rings and dropped together before unmapping. */
export interface SegmentViews {
  u8: Uint8Array;
  i32: Int32Array;
  i64: BigInt64Array;
}

/** Makes the views of a mapping. */
export function segmentViews(buffer: ArrayBuffer): SegmentViews {
  return { u8: new Uint8Array(buffer), i32: new Int32Array(buffer), i64: new BigInt64Array(buffer) };
}

const EMPTY_VIEWS: SegmentViews = { u8: new Uint8Array(8), i32: new Int32Array(2), i64: new BigInt64Array(1) };

/** Fields both ends of a ring share. */
abstract class RingEnd {
  protected v: SegmentViews;
  protected readonly capacity: number;
  protected readonly mask: number;
  /** Byte offset of the data area. */
  protected readonly data: number;
  protected readonly tailIx: number;
  protected readonly headIx: number;
  protected readonly closedIx: number;
  protected readonly consumerParkedIx: number;
  protected readonly producerParkedIx: number;
  protected readonly maxRecord: number;

  constructor(views: SegmentViews, controlOffset: number, capacity: number) {
    this.v = views;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.data = controlOffset + RING_CONTROL_BYTES;
    this.tailIx = (controlOffset + Control.tail) / 8;
    this.headIx = (controlOffset + Control.head) / 8;
    this.closedIx = (controlOffset + Control.producerClosed) / 4;
    this.consumerParkedIx = (controlOffset + Control.consumerParked) / 4;
    this.producerParkedIx = (controlOffset + Control.producerParked) / 4;
    this.maxRecord = maxRecordBytes(capacity);
  }

  /** Points this end at a dummy buffer, so nothing can reach the mapping after it is released. */
  retire(): void {
    this.v = EMPTY_VIEWS;
  }
}

/** The writing end. Frames of any size: a frame larger than one record goes in pieces. */
export class RingProducer extends RingEnd {
  /** Next write position (only this process writes the tail). */
  #tail = 0;
  /** Last head seen; reloaded only when it looks full. */
  #head = 0;
  /** Bytes of the current frame already in the ring (a large frame may take several calls). */
  #sent = 0;

  /** Body bytes of the largest single record. */
  get maxPiece(): number {
    return this.maxRecord - RECORD_HEADER_BYTES;
  }

  /** True while a frame is partly written (the next `offer` must continue it). */
  get midFrame(): boolean {
    return this.#sent > 0;
  }

  /**
   * Writes as much of `frame` (chunks, `size` bytes in all) as fits. Returns true when the whole
   * frame is in the ring, false when the ring is full (call again with the same frame later).
   */
  offer(chunks: readonly Uint8Array[], size: number): boolean {
    const maxPiece = this.maxPiece;
    if (this.#sent === 0 && size <= maxPiece) {
      const at = this.#reserve(size);
      if (at < 0) return false;
      copyChunks(chunks, 0, size, this.v.u8, at);
      this.#commit(Kind.whole, size);
      return true;
    }
    while (this.#sent < size) {
      const first = this.#sent === 0;
      const prefix = first ? FIRST_PREFIX_BYTES : 0;
      const piece = Math.min(size - this.#sent, maxPiece - prefix);
      const at = this.#reserve(prefix + piece);
      if (at < 0) return false;
      if (first) {
        const i = at >>> 2; // `at` is 8-aligned
        this.v.i32[i] = size;
        this.v.i32[i + 1] = 0;
      }
      copyChunks(chunks, this.#sent, piece, this.v.u8, at + prefix);
      this.#commit(first ? Kind.first : Kind.next, prefix + piece);
      this.#sent += piece;
    }
    this.#sent = 0;
    return true;
  }

  /**
   * Finds room for a record with `body` bytes (writing a padding record first at the wrap).
   * Returns the byte offset of the body, or -1 if the ring is too full now.
   */
  #reserve(body: number): number {
    const need = align(RECORD_HEADER_BYTES + body);
    let index = this.#tail & this.mask;
    const pad = index + need > this.capacity ? this.capacity - index : 0;
    // Room for the record, the padding and the next header, which we zero before committing.
    const limit = this.#tail + pad + need + RECORD_HEADER_BYTES - this.capacity;
    if (limit > this.#head) {
      // ORDER: this load pairs with the consumer's head store, made after it copied the records out.
      this.#head = Number(Atomics.load(this.v.i64, this.headIx));
      if (limit > this.#head) return -1;
    }
    if (pad > 0) {
      const i32 = this.v.i32;
      i32[this.data >>> 2] = 0; // the header after the padding, at the start of the data area
      i32[(this.data + index + 4) >>> 2] = Kind.padding;
      // ORDER: commit of the padding, after its kind and the zeroed next header.
      Atomics.store(i32, (this.data + index) >>> 2, pad);
      this.#tail += pad;
      index = 0;
    }
    return this.data + index + RECORD_HEADER_BYTES;
  }

  /** Publishes the record reserved last: kind, zeroed next header, then the length. */
  #commit(kind: number, body: number): void {
    const i32 = this.v.i32;
    const length = RECORD_HEADER_BYTES + body;
    const index = this.#tail & this.mask;
    i32[(this.data + index + 4) >>> 2] = kind;
    i32[(this.data + ((index + align(length)) & this.mask)) >>> 2] = 0;
    // ORDER: the commit. Everything written above becomes visible to a consumer that loads it.
    Atomics.store(i32, (this.data + index) >>> 2, length);
    this.#tail += align(length);
  }

  /**
   * After a batch of commits: publishes the tail (for inspection) and takes the consumer's parked
   * flag. Returns true when the consumer was parked: ring its doorbell.
   */
  flush(): boolean {
    Atomics.store(this.v.i64, this.tailIx, BigInt(this.#tail));
    // ORDER: after the commits; pairs with the consumer's "store parked, then re-check".
    return Atomics.compareExchange(this.v.i32, this.consumerParkedIx, 1, 0) === 1;
  }

  /**
   * Prepares to wait for space: sets the producer's parked flag. The caller must then try its
   * `offer` again (the re-check) and sleep on its doorbell only if that fails too; if it succeeds,
   * it calls `unparkForSpace()`.
   */
  parkForSpace(): void {
    // ORDER: the flag is stored before the caller's re-check loads the head again (the consumer
    // stores its head, then takes the flag).
    Atomics.store(this.v.i32, this.producerParkedIx, 1);
  }

  /** Clears the parked flag after a successful re-check (a doorbell byte may still come: harmless). */
  unparkForSpace(): void {
    Atomics.compareExchange(this.v.i32, this.producerParkedIx, 1, 0);
  }

  /** Marks the end of the stream, after the last commit; the consumer finishes cleanly. */
  markClosed(): void {
    Atomics.store(this.v.i32, this.closedIx, 1);
  }
}

/** Frames up to this size are copied into a shared slab; larger ones get their own buffer. */
const SMALL_FRAME = 2048;
const SLAB_BYTES = 64 * 1024;

/** Result of {@link RingConsumer.read} when no complete frame is committed yet. */
export const NOTHING = null;

/** The reading end: copies committed records out and reassembles pieces into whole frames. */
export class RingConsumer extends RingEnd {
  readonly #maxFrameSize: number;
  /** Next read position (only this process writes the head). */
  #head = 0;
  /** The head as last published to the producer. */
  #published = 0;
  #assembly: Uint8Array | null = null;
  #slab = new Uint8Array(0);
  #slabPos = 0;
  #filled = 0;

  constructor(views: SegmentViews, controlOffset: number, capacity: number, maxFrameSize: number) {
    super(views, controlOffset, capacity);
    this.#maxFrameSize = maxFrameSize;
  }

  /** Bytes held for a frame whose pieces are still arriving. */
  get pendingBytes(): number {
    return this.#assembly === null ? 0 : this.#filled;
  }

  /**
   * The next complete frame, copied out (the caller owns it), or `NOTHING`. Throws
   * `ProtocolError` on a record that cannot be valid (garbage in the ring).
   */
  read(): Uint8Array | null {
    const { u8, i32 } = this.v;
    for (;;) {
      const index = this.#head & this.mask;
      const at = this.data + index;
      // ORDER: load the length first; pairs with the producer's commit store.
      const length = Atomics.load(i32, at >>> 2);
      if (length === 0) return NOTHING;
      const kind = i32[(at + 4) >>> 2];
      const size = align(length);
      if (kind === Kind.padding) {
        if (length !== this.capacity - index) throw this.#garbage(`padding length=${length} at index=${index}`);
        this.#advance(length);
        continue;
      }
      if (length < RECORD_HEADER_BYTES || size > this.maxRecord || index + size > this.capacity) {
        throw this.#garbage(`record length=${length} at index=${index}`);
      }
      const body = at + RECORD_HEADER_BYTES;
      const end = at + length;
      let frame: Uint8Array | null = null;
      if (kind === Kind.whole) {
        if (this.#assembly !== null) throw this.#garbage('whole record inside a pieced frame');
        frame = this.#copyOut(u8, body, end);
      } else if (kind === Kind.first) {
        if (this.#assembly !== null) throw this.#garbage('first piece inside a pieced frame');
        const total = i32[body >>> 2] >>> 0;
        const piece = length - RECORD_HEADER_BYTES - FIRST_PREFIX_BYTES;
        if (total > this.#maxFrameSize || piece < 0 || piece >= total) {
          throw this.#garbage(`first piece total=${total} piece=${piece} maxFrameSize=${this.#maxFrameSize}`);
        }
        this.#assembly = new Uint8Array(total);
        this.#assembly.set(u8.subarray(body + FIRST_PREFIX_BYTES, end), 0);
        this.#filled = piece;
      } else if (kind === Kind.next) {
        const assembly = this.#assembly;
        const piece = length - RECORD_HEADER_BYTES;
        if (assembly === null || this.#filled + piece > assembly.length) throw this.#garbage('stray or oversized piece');
        assembly.set(u8.subarray(body, end), this.#filled);
        this.#filled += piece;
        if (this.#filled === assembly.length) {
          frame = assembly;
          this.#assembly = null;
          this.#filled = 0;
        }
      } else {
        throw this.#garbage(`record kind=${kind} at index=${index}`);
      }
      this.#advance(size);
      if (frame !== null) return frame;
    }
  }

  /**
   * Copies a record body out of the ring. Small frames go into a private slab (a fresh
   * ArrayBuffer per frame costs 3-4x the copy); a slab is never reused once handed out, so every
   * frame stays owned by the receiver, as with Node's own pooled socket reads.
   */
  #copyOut(u8: Uint8Array, body: number, end: number): Uint8Array {
    const n = end - body;
    if (n > SMALL_FRAME) return u8.slice(body, end);
    if (this.#slabPos + n > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#slabPos = 0;
    }
    const at = this.#slabPos;
    this.#slab.set(u8.subarray(body, end), at);
    this.#slabPos = (at + n + 7) & ~7;
    return this.#slab.subarray(at, at + n);
  }

  #advance(bytes: number): void {
    this.#head += bytes;
    // Free space during a long drain too, not only at its end (the flag is taken by `publish`).
    if (this.#head - this.#published >= this.maxRecord) this.#storeHead();
  }

  #storeHead(): void {
    this.#published = this.#head;
    // ORDER: after copying the records out; pairs with the producer's head load.
    Atomics.store(this.v.i64, this.headIx, BigInt(this.#head));
  }

  /**
   * Publishes the head (the space read so far becomes free) and takes the producer's parked
   * flag. Returns true when the producer was waiting for space: ring its doorbell.
   */
  publish(): boolean {
    if (this.#head !== this.#published) this.#storeHead();
    // ORDER: after the head store; pairs with the producer's "store parked, then re-check".
    return Atomics.compareExchange(this.v.i32, this.producerParkedIx, 1, 0) === 1;
  }

  /** True when a record is committed at the head (a cheap check, nothing is read). */
  ready(): boolean {
    return Atomics.load(this.v.i32, (this.data + (this.#head & this.mask)) >>> 2) !== 0;
  }

  /** True once the producer marked the end of its stream (check `ready()` again after this). */
  producerClosed(): boolean {
    return Atomics.load(this.v.i32, this.closedIx) === 1;
  }

  /**
   * Prepares to sleep: sets the consumer's parked flag, then re-checks the ring. Returns true when
   * the caller should sleep on its doorbell, false when a record or the end arrived meanwhile.
   */
  park(): boolean {
    Atomics.store(this.v.i32, this.consumerParkedIx, 1);
    // ORDER: re-check after publishing the flag (the producer commits, then takes the flag).
    if (this.ready() || this.producerClosed()) {
      Atomics.compareExchange(this.v.i32, this.consumerParkedIx, 1, 0);
      return false;
    }
    return true;
  }

  /** Drops a partly received frame (its producer is gone and will never finish it). */
  discardPartial(): number {
    const bytes = this.pendingBytes;
    this.#assembly = null;
    this.#filled = 0;
    return bytes;
  }

  #garbage(detail: string): ProtocolError {
    return new ProtocolError(`shm ring holds an invalid record: ${detail}`);
  }
}

/** Copies bytes [from, from + n) of a chunk list into `dst` at `at`. */
function copyChunks(chunks: readonly Uint8Array[], from: number, n: number, dst: Uint8Array, at: number): void {
  if (chunks.length === 1) {
    const c = chunks[0]!;
    dst.set(from === 0 && n === c.length ? c : c.subarray(from, from + n), at);
    return;
  }
  let skip = from;
  for (const c of chunks) {
    if (n === 0) return;
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    const take = Math.min(c.length - skip, n);
    dst.set(skip === 0 && take === c.length ? c : c.subarray(skip, skip + take), at);
    at += take;
    n -= take;
    skip = 0;
  }
}
