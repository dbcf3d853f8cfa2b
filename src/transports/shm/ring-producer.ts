/**
 * The writing end of a ring (the algorithm and its ordering rules: `ring.ts`).
 * @module
 */
import { FIRST_PREFIX_BYTES, Kind, RECORD_HEADER_BYTES, align, minPieceBytes } from './layout.js';
import { RingEnd } from './ring-end.js';

/** The writing end. Frames of any size: a frame larger than one record goes in pieces. */
export class RingProducer extends RingEnd {
  /** Next write position (only this process writes the tail). */
  #tail = 0;
  /** Last head seen; reloaded only when it looks full. */
  #head = 0;
  /** Bytes of the current frame already in the ring (a large frame may take several calls). */
  #sent = 0;
  /** The tail as of the last `flush()`. */
  #flushed = 0;
  /** Smallest piece of a frame in pieces worth a record (`#pieceRoom`). */
  readonly #minPiece = minPieceBytes(this.capacity);

  /** Body bytes of the largest single record. */
  get maxPiece(): number {
    return this.maxRecord - RECORD_HEADER_BYTES;
  }

  /** Bytes committed since the last `flush()` (a long burst flushes early, see the connection). */
  get unflushedBytes(): number {
    return this.#tail - this.#flushed;
  }

  /** Committed bytes the reader has not taken yet, as a fraction of the ring (one atomic load). */
  get fill(): number {
    return Math.min(1, (this.#tail - Number(Atomics.load(this.v.i64, this.headIx))) / this.capacity);
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
      // As much as the room allows now, not a whole record or nothing (see `#pieceRoom`).
      const piece = this.#pieceRoom(prefix, Math.min(size - this.#sent, maxPiece - prefix));
      if (piece < 0) return false;
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

  /** `offer` of a frame in one piece that fits one record; false (nothing written) otherwise or when the ring is full now. */
  offerOne(frame: Uint8Array): boolean {
    const size = frame.length;
    if (this.#sent !== 0 || size > this.maxPiece) return false;
    const at = this.#reserve(size);
    if (at < 0) return false;
    this.v.u8.set(frame, at);
    this.#commit(Kind.whole, size);
    return true;
  }

  /**
   * In-place writing of a frame that fits one record: the byte offset (in the segment) where its
   * `size` bytes go, or -1 when it does not fit a record, a frame is partly written, or the ring
   * is full now. `commitWhole(size)` publishes it.
   */
  reserveWhole(size: number): number {
    if (this.#sent !== 0 || size > this.maxPiece) return -1;
    return this.#reserve(size);
  }

  /**
   * True when a record of `size` body bytes (a whole frame) would fit the ring now; nothing is
   * written. The head is loaded again only when the last one seen leaves too little room.
   */
  hasRoomFor(size: number): boolean {
    if (this.#sent !== 0 || size > this.maxPiece) return false;
    const limit = this.#limitFor(align(RECORD_HEADER_BYTES + size));
    if (limit > this.#head) {
      // ORDER: as in #reserve, pairs with the consumer's head store.
      this.#head = Number(Atomics.load(this.v.i64, this.headIx));
    }
    return limit <= this.#head;
  }

  /** The segment's bytes, where `reserveWhole` offsets point. */
  get bytes(): Uint8Array {
    return this.v.u8;
  }

  /** Publishes the frame written after `reserveWhole`. */
  commitWhole(size: number): void {
    this.#commit(Kind.whole, size);
  }

  /**
   * Body bytes (at most `want`) of the piece that fits the ring now, or -1 when less than
   * `min(want, capacity / 16)` does. Why: a frame larger than a record used to wait for a whole
   * record of room (then a quarter of the ring), so a producer woken because a draining reader freed
   * an eighth of it (the reader's publishing step) found too little, parked again, and the reader
   * ran dry while part of the ring stood empty: at 1 MiB frames in a 4 MiB ring, the writer
   * parked about once per frame. A piece fills the room up to the wrap point (no padding) when
   * that is enough, else starts after the wrap.
   */
  #pieceRoom(prefix: number, want: number): number {
    const least = Math.min(want, this.#minPiece);
    let room = this.#roomNow(prefix);
    if (room < least) {
      // ORDER: as in #reserve, pairs with the consumer's head store.
      this.#head = Number(Atomics.load(this.v.i64, this.headIx));
      room = this.#roomNow(prefix);
    }
    return room < least ? -1 : Math.min(room, want);
  }

  /** Largest piece body that `#reserve` places now (before the wrap point if possible), or < 0. */
  #roomNow(prefix: number): number {
    // Free bytes, less the next header that a commit zeroes. All positions are 8-aligned.
    const free = this.#head + this.capacity - this.#tail - RECORD_HEADER_BYTES;
    const toEnd = this.capacity - (this.#tail & this.mask);
    const overhead = RECORD_HEADER_BYTES + prefix;
    const beforeWrap = Math.min(free, toEnd) - overhead;
    // After the wrap the padding takes `toEnd`: only worth it when the part before is too short.
    const afterWrap = Math.min(free - toEnd, this.capacity) - overhead;
    return beforeWrap >= Math.min(afterWrap, this.#minPiece) ? beforeWrap : afterWrap;
  }

  /**
   * Finds room for a record with `body` bytes (writing a padding record first at the wrap).
   * Returns the byte offset of the body, or -1 if the ring is too full now.
   */
  #reserve(body: number): number {
    const need = align(RECORD_HEADER_BYTES + body);
    let index = this.#tail & this.mask;
    const pad = index + need > this.capacity ? this.capacity - index : 0;
    const limit = this.#limitFor(need);
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

  /**
   * The head a record of `need` bytes (header included, aligned) at the tail needs the consumer
   * to have reached: room for the record, the padding before it at the wrap, and the next
   * header, which a commit zeroes.
   */
  #limitFor(need: number): number {
    const index = this.#tail & this.mask;
    const pad = index + need > this.capacity ? this.capacity - index : 0;
    return this.#tail + pad + need + RECORD_HEADER_BYTES - this.capacity;
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
   * True when the consumer sleeps (or is about to) waiting for data: one atomic load, nothing
   * taken. ORDER: after a commit; pairs with the consumer's "store parked, then re-check", so a
   * consumer seen awake here finds the commit when it re-checks.
   */
  consumerParked(): boolean {
    return Atomics.load(this.v.i32, this.consumerParkedIx) === 1;
  }

  /**
   * After a batch of commits: publishes the tail (for inspection) and takes the consumer's parked
   * flag. Returns true when the consumer was parked: ring its doorbell.
   */
  flush(): boolean {
    this.#flushed = this.#tail;
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

  /**
   * `parkForSpace()`, then the re-check for a record of `size` body bytes (`hasRoomFor`): true
   * when it fits after all (the flag is cleared again), false when the caller must wait for the
   * consumer's doorbell.
   */
  parkUnlessRoomFor(size: number): boolean {
    this.parkForSpace();
    if (!this.hasRoomFor(size)) return false;
    this.unparkForSpace();
    return true;
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
