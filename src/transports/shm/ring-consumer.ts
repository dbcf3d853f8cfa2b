/**
 * The reading end of a ring (the algorithm and its ordering rules: `ring.ts`).
 *
 * Copy-out in runs: when the record at the head is a whole frame not yet copied, the consumer
 * copies it together with the committed whole records that follow it (contiguous, up to the
 * room in a private slab) with one `set`, then hands each frame out as a view of that slab. A
 * frame then costs one view and no copy call of its own; a 64 KiB frame shares its allocation
 * with the next few. Slabs are never reused once handed out, so every frame stays owned by the
 * receiver (as with Node's own pooled socket reads), and slabs are allocated without zero-fill
 * (every byte a frame exposes was copied in first).
 *
 * Lending (`read(lendFrom)`, ../frame-lending.ts): a frame in one record is copied into one
 * reused scratch buffer instead, for a caller that only passes it on: no fresh memory per frame.
 * A frame in pieces is then assembled in a pooled buffer (../framing/large-frame-pool.ts), lent
 * whole, and given back to the pool once used.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { FIRST_PREFIX_BYTES, Kind, RECORD_HEADER_BYTES, align } from './layout.js';
import { RingEnd, type SegmentViews } from './ring-end.js';
import { uninitialized, view } from '../../bytes.js';
import { giveLargeFrame, takeLargeFrame } from '../framing/large-frame-pool.js';

/** Bytes of one copy-out slab; a larger record gets a slab of its own size. */
const SLAB_BYTES = 64 * 1024;

/**
 * The one buffer lent frames are copied into (`read(lendFrom)`), shared by every consumer of the
 * process: a lent frame lives only during one synchronous call, and `lentOut` refuses a second
 * lend before `endLend()`, so two lends never overlap. It grows to the largest lent record.
 */
let scratch: Uint8Array = new Uint8Array(0);
let lentOut = false;

/** Result of {@link RingConsumer.read} when no complete frame is committed yet. */
export const NOTHING = null;

/** The reading end: copies committed records out and reassembles pieces into whole frames. */
export class RingConsumer extends RingEnd {
  readonly #maxFrameSize: number;
  /** Called when the head moved on mid-drain while the producer waits for space: ring it. */
  readonly #onSpace: (() => void) | undefined;
  /** The head is published this often during a long drain, not only at its end. */
  readonly #publishEvery: number;
  /** Next read position (only this process writes the head). */
  #head = 0;
  /** The head as last published to the producer. */
  #published = 0;
  #assembly: Uint8Array | null = null;
  #filled = 0;
  /** The pooled buffer `#assembly` views, when the frame being assembled may be lent. */
  #assemblyPooled: Uint8Array | undefined;
  /** The frame lent last is in the shared scratch (`endLend` frees it for the next lend). */
  #lentScratch = false;
  /** The pooled buffer of the frame lent last (given back by `endLend`, kept by `keep`). */
  #lentPooled: Uint8Array | undefined;
  // Copy-out: ring positions [#runStart, #runEnd) are copied to #slab at offset #runBase.
  #slab: Uint8Array = new Uint8Array(0);
  #slabPos = 0;
  #runStart = 0;
  #runEnd = 0;
  #runBase = 0;
  /** True when the frame `read` returned last is a lent view of the shared scratch (see `read`). */
  lent = false;
  /** Whole records still to copy out owned, not lend, after a declined lend (see `keep`). */
  #ownedFor = 0;
  /** `#ownedFor` after the next decline: doubles while declines repeat, reset by a lend used. */
  #backoff = 0;
  /** A frame was lent and not (yet) declined. */
  #lentLast = false;

  constructor(views: SegmentViews, controlOffset: number, capacity: number, maxFrameSize: number, onSpace?: () => void) {
    super(views, controlOffset, capacity);
    this.#maxFrameSize = maxFrameSize;
    this.#onSpace = onSpace;
    this.#publishEvery = capacity >>> 3;
  }

  /** Bytes held for a frame whose pieces are still arriving. */
  get pendingBytes(): number {
    return this.#assembly === null ? 0 : this.#filled;
  }

  /**
   * The next complete frame, copied out (the caller owns it), or `NOTHING`. Throws
   * `ProtocolError` on a record that cannot be valid (garbage in the ring). `lendFrom` (0: never):
   * a frame of at least that many bytes in one record may instead be copied into the process's
   * scratch buffer (`lent` is then true): the caller must be done with it, or `keep` it, before
   * `endLend()`, which it must call.
   */
  read(lendFrom = 0): Uint8Array | null {
    const { u8, i32 } = this.v;
    this.lent = false;
    if (this.#lentLast) {
      this.#lentLast = false;
      this.#backoff = 0; // the last lend was used
    }
    for (;;) {
      const index = this.#head & this.mask;
      const at = this.data + index;
      // ORDER: load the length first; pairs with the producer's commit store.
      const length = Atomics.load(i32, at >>> 2);
      if (length === 0) return NOTHING;
      const kind = i32[(at + 4) >>> 2];
      const size = align(length);
      if (kind === Kind.padding) {
        // Padding skips to the start of the ring, so it never starts there: one at index 0 would
        // send the head round the ring to itself forever (a hostile writer hung the hub).
        if (length !== this.capacity - index || index === 0) throw this.#garbage(`padding length=${length} at index=${index}`);
        this.#advance(length);
        continue;
      }
      // `length` is checked before its aligned `size`: align() of a length near 2^31 wraps negative.
      if (length < RECORD_HEADER_BYTES || length > this.maxRecord || size > this.maxRecord || index + size > this.capacity) {
        throw this.#garbage(`record length=${length} at index=${index}`);
      }
      const body = at + RECORD_HEADER_BYTES;
      const end = at + length;
      let frame: Uint8Array | null = null;
      if (kind === Kind.whole) {
        if (this.#assembly !== null) throw this.#garbage('whole record inside a pieced frame');
        if (lendFrom > 0 && length - RECORD_HEADER_BYTES >= lendFrom && !lentOut && this.#ownedFor === 0
          && this.#head + size > this.#runEnd) {
          frame = this.#lendRecord(body, end);
        } else {
          if (this.#ownedFor > 0) this.#ownedFor--;
          // Not (entirely) in the current run: copy a new run starting here.
          if (this.#head + size > this.#runEnd) this.#copyRun(index, size);
          const from = this.#runBase + (this.#head - this.#runStart) + RECORD_HEADER_BYTES;
          frame = view(this.#slab, from, from + length - RECORD_HEADER_BYTES);
        }
      } else if (kind === Kind.first) {
        if (this.#assembly !== null) throw this.#garbage('first piece inside a pieced frame');
        const total = i32[body >>> 2]! >>> 0;
        const piece = length - RECORD_HEADER_BYTES - FIRST_PREFIX_BYTES;
        if (total > this.#maxFrameSize || piece < 0 || piece >= total) {
          throw this.#garbage(`first piece total=${total} piece=${piece} maxFrameSize=${this.#maxFrameSize}`);
        }
        if (lendFrom > 0 && this.#ownedFor === 0) {
          // May be lent once whole: assembled in a pooled buffer, given back once used.
          this.#assemblyPooled = takeLargeFrame(total);
          this.#assembly = view(this.#assemblyPooled, 0, total);
        } else {
          if (this.#ownedFor > 0) this.#ownedFor--;
          this.#assembly = uninitialized(total);
        }
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
          if (this.#assemblyPooled !== undefined) {
            this.#lentPooled = this.#assemblyPooled;
            this.#assemblyPooled = undefined;
            this.lent = true;
            this.#lentLast = true;
          }
        }
      } else {
        throw this.#garbage(`record kind=${kind} at index=${index}`);
      }
      this.#advance(size);
      if (frame !== null) return frame;
    }
  }

  /** Copies ring bytes [body, end) into the shared scratch: the frame lent (see `read`). */
  #lendRecord(body: number, end: number): Uint8Array {
    const n = end - body;
    if (scratch.length < n) scratch = uninitialized(Math.max(n, scratch.length * 2, 4096));
    scratch.set(this.v.u8.subarray(body, end), 0);
    lentOut = true;
    this.#lentScratch = true;
    this.lent = true;
    this.#lentLast = true;
    return view(scratch, 0, n);
  }

  /** The lent frame's user is done with it (call after every `read` that lent one). */
  endLend(): void {
    if (this.#lentPooled !== undefined) {
      giveLargeFrame(this.#lentPooled);
      this.#lentPooled = undefined;
    }
    if (this.#lentScratch) {
      this.#lentScratch = false;
      lentOut = false;
    }
  }

  /**
   * A copy the caller owns of the frame lent last, which it declined (taken from a slab). The
   * next 8 whole records are then copied out owned (in runs, as without lending), 16 after a
   * second decline in a row, up to 1024: a consumer that keeps declining (the hub's own
   * subscription wants these frames) pays a lend attempt (two more copies, a decode) rarely.
   */
  keep(frame: Uint8Array): Uint8Array {
    this.#lentLast = false;
    this.#backoff = Math.min(Math.max(8, this.#backoff * 2), 1024);
    this.#ownedFor = this.#backoff;
    if (this.#lentPooled !== undefined) {
      this.#lentPooled = undefined; // a pooled assembly is the caller's now, never given back
      return frame;
    }
    const n = frame.length;
    if (this.#slab.length - this.#slabPos < n) {
      this.#slab = uninitialized(Math.max(SLAB_BYTES, n));
      this.#slabPos = 0;
    }
    const at = this.#slabPos;
    this.#slab.set(frame, at);
    this.#slabPos = at + align(n); // slab positions stay 8-aligned, as runs need
    return view(this.#slab, at, at + n);
  }

  /**
   * Copies the whole record at ring index `index` (aligned size `size`, already checked) and the
   * committed whole records right after it, while they are contiguous and fit the slab's room.
   * Anything unusual ends the run; `read()` checks it when it gets there.
   */
  #copyRun(index: number, size: number): void {
    const i32 = this.v.i32;
    const data = this.data;
    let room = this.#slab.length - this.#slabPos;
    if (size > room) {
      this.#slab = uninitialized(Math.max(SLAB_BYTES, size));
      this.#slabPos = 0;
      room = this.#slab.length;
    }
    let end = index + size;
    while (end < this.capacity) {
      // ORDER: each record's length is loaded before its bytes are copied below.
      const length = Atomics.load(i32, (data + end) >>> 2);
      if (length < RECORD_HEADER_BYTES || length > this.maxRecord || i32[(data + end + 4) >>> 2] !== Kind.whole) break;
      const next = align(length);
      if (next > this.maxRecord || end + next > this.capacity || end - index + next > room) break;
      end += next;
    }
    const bytes = end - index;
    this.#slab.set(this.v.u8.subarray(data + index, data + end), this.#slabPos);
    this.#runStart = this.#head;
    this.#runEnd = this.#head + bytes;
    this.#runBase = this.#slabPos;
    this.#slabPos += bytes; // stays 8-aligned: records are
  }

  #advance(bytes: number): void {
    this.#head += bytes;
    // Free space during a long drain too, not only at its end, and wake a producer waiting for it.
    if (this.#head - this.#published >= this.#publishEvery) {
      this.#storeHead();
      if (this.#onSpace !== undefined && this.#takeProducerFlag()) this.#onSpace();
    }
  }

  #storeHead(): void {
    this.#published = this.#head;
    // ORDER: after copying the records out; pairs with the producer's head load.
    Atomics.store(this.v.i64, this.headIx, BigInt(this.#head));
  }

  #takeProducerFlag(): boolean {
    // ORDER: after the head store; pairs with the producer's "store parked, then re-check".
    return Atomics.compareExchange(this.v.i32, this.producerParkedIx, 1, 0) === 1;
  }

  /**
   * Publishes the head (the space read so far becomes free) and takes the producer's parked
   * flag. Returns true when the producer was waiting for space: ring its doorbell.
   */
  publish(): boolean {
    if (this.#head !== this.#published) this.#storeHead();
    return this.#takeProducerFlag();
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
    this.#assemblyPooled = undefined;
    this.#filled = 0;
    return bytes;
  }

  #garbage(detail: string): ProtocolError {
    return new ProtocolError(`shm ring holds an invalid record: ${detail}`);
  }
}
