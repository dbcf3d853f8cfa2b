/**
 * Opening a pool someone else made (the hub to count holders, a receiver to map samples): checks
 * owner, mode, size, magic and version before trusting a byte of it (./pool-layout.ts), keeps the
 * descriptor open so samples can still be mapped after the name is gone, and maps the data area
 * once, read-only, on the first sample: every sample is a view into that one mapping (one mmap per
 * sample cost ~20x more). The mapping is unmapped only after its ArrayBuffer is garbage collected,
 * so a view a user kept past release or past close never touches unmapped memory.
 * @module
 */
import { ProtocolError, PermissionDeniedError } from '../errors.js';
import { closeFd, statFd } from '../native/fds.js';
import { shmOpen, mapShared, type MappedRegion } from '../native/mmap.js';
import { mapRangeUntilCollected, PAGE_BYTES } from '../native/mmap-range.js';
import {
  Header, HEADER_BYTES, POOL_MAGIC, POOL_VERSION, generationIndex, holdersHalf, holdersIndex, laneBit32, lengthIndex, pageAlign,
  roomTopicOfPool,
} from './pool-layout.js';

/** Index of the header's `waiting` word in an Int32Array over the pool. */
const WAITING = Header.waiting >>> 2;

/** A pool opened by name: its control area mapped read-write, samples mapped on demand. */
export class PoolView {
  readonly name: string;
  readonly blocks: number;
  readonly blockBytes: number;
  readonly dataOffset: number;
  readonly #fd: number;
  readonly #control: MappedRegion;
  readonly holders: BigInt64Array;
  readonly words: Int32Array;
  /** Where the publisher hears of room (./pool-layout.ts, `waiting`); undefined: a name not of a pool. */
  readonly roomTopic: string | undefined;
  /** The data area, mapped read-only on first use; dropped (not unmapped) at close. */
  #data: ArrayBuffer | undefined;
  /** The last view made per first block (dropped with the mapping at close). */
  #views: Array<Uint8Array | undefined> = [];
  #closed = false;

  private constructor(name: string, fd: number, control: MappedRegion, blocks: number, blockBytes: number, dataOffset: number) {
    this.name = name;
    this.#fd = fd;
    this.#control = control;
    this.blocks = blocks;
    this.blockBytes = blockBytes;
    this.dataOffset = dataOffset;
    this.holders = new BigInt64Array(control.buffer, 0, control.size >>> 3);
    this.words = new Int32Array(control.buffer, 0, control.size >>> 2);
    this.roomTopic = roomTopicOfPool(name);
  }

  /**
   * Opens pool `name` (a shm name). Throws PermissionDeniedError for another user's segment or a
   * mode wider than `mode`, ProtocolError for a segment that is not a pool, system errors as-is.
   */
  static open(name: string, expect: { uid: number | undefined; mode: number }): PoolView {
    const fd = shmOpen(name);
    let control: MappedRegion | undefined;
    try {
      const st = statFd(fd);
      if (!st.isFile()) throw new PermissionDeniedError(`pool is not a regular file: name=${name}`);
      if (expect.uid !== undefined && st.uid !== expect.uid) throw new PermissionDeniedError(`pool ${name} belongs to uid=${st.uid}, not uid=${expect.uid}`);
      if ((st.mode & ~expect.mode & 0o777) !== 0) throw new PermissionDeniedError(`pool ${name} has mode=0${(st.mode & 0o777).toString(8)}, wider than mode=0${expect.mode.toString(8)}`);
      if (st.size < PAGE_BYTES) throw new ProtocolError(`pool ${name} is too small: size=${st.size}`);
      const head = mapShared(fd, PAGE_BYTES);
      let blocks: number;
      let blockBytes: number;
      let dataOffset: number;
      try {
        const i32 = new Int32Array(head.buffer, 0, HEADER_BYTES >>> 2);
        // ORDER: version first; the creator wrote it after everything else.
        const version = Atomics.load(i32, Header.version >>> 2);
        if (i32[Header.magic >>> 2] !== POOL_MAGIC || version !== POOL_VERSION) {
          throw new ProtocolError(`not a unibus pool: name=${name} version=${version}`);
        }
        blocks = i32[Header.blocks >>> 2]!;
        blockBytes = i32[Header.blockBytes >>> 2]!;
        dataOffset = i32[Header.dataOffset >>> 2]!;
      } finally {
        head.release();
      }
      if (blocks < 1 || blockBytes < PAGE_BYTES || blockBytes % PAGE_BYTES !== 0 || dataOffset !== pageAlign(HEADER_BYTES + blocks * 16)
        || dataOffset + blocks * blockBytes !== st.size) {
        throw new ProtocolError(`pool ${name} header does not match its size: blocks=${blocks} block=${blockBytes} size=${st.size}`);
      }
      control = mapShared(fd, dataOffset);
      return new PoolView(name, fd, control, blocks, blockBytes, dataOffset);
    } catch (err) {
      control?.release();
      closeFd(fd);
      throw err;
    }
  }

  /** True when `block` starts a published run of `length` bytes at `generation` (a stale handle: false). */
  matches(block: number, length: number, generation: number): boolean {
    if (this.#closed || !Number.isInteger(block) || block < 0 || block >= this.blocks) return false;
    if (!Number.isInteger(length) || length < 0 || block * this.blockBytes + length > this.blocks * this.blockBytes) return false;
    return Atomics.load(this.words, generationIndex(block)) === generation && Atomics.load(this.words, lengthIndex(block)) === length;
  }

  /** The holders word of `block`. */
  holdersOf(block: number): bigint {
    return Atomics.load(this.holders, holdersIndex(block));
  }

  /** Sets `bits` in `block`'s holders word; returns the previous value. */
  hold(block: number, bits: bigint): bigint {
    return Atomics.or(this.holders, holdersIndex(block), bits);
  }

  /** Clears `bits` in `block`'s holders word; returns the previous value. */
  drop(block: number, bits: bigint): bigint {
    return Atomics.and(this.holders, holdersIndex(block), ~bits);
  }

  /** Sets lane `lane`'s bit (0: in flight) in `block`'s holders word (one Int32 atomic, no BigInt). */
  holdLane(block: number, lane: number): void {
    Atomics.or(this.words, holdersHalf(block, lane), laneBit32(lane));
  }

  /**
   * Clears lane `lane`'s bit (0: in flight) in `block`'s holders word. True when that freed the
   * run while a loan of the publisher waits, and this caller is the one to tell it (the waiting
   * word is swapped to 0): send a PUB on {@link roomTopic}. Costs one more load when nobody waits.
   */
  dropLane(block: number, lane: number): boolean {
    const half = holdersHalf(block, lane);
    const bit = laneBit32(lane);
    const before = Atomics.and(this.words, half, ~bit);
    if (Atomics.load(this.words, WAITING) === 0 || (before & ~bit) !== 0) return false;
    // The other half (lanes 32-63 live in the high one): the whole word must read 0.
    if (Atomics.load(this.words, lane < 32 ? half + 1 : half - 1) !== 0) return false;
    return Atomics.compareExchange(this.words, WAITING, 1, 0) === 1;
  }

  /** True when a loan waits and this caller is the one to tell it (after freeing runs some other way). */
  takeWaiting(): boolean {
    return Atomics.load(this.words, WAITING) !== 0 && Atomics.compareExchange(this.words, WAITING, 1, 0) === 1;
  }

  /** True when lane `lane`'s bit (0: in flight) is set in `block`'s holders word. */
  heldBy(block: number, lane: number): boolean {
    return (Atomics.load(this.words, holdersHalf(block, lane)) & laneBit32(lane)) !== 0;
  }

  /** Clears `bits` in every block (a receiver lane that is gone); returns how many blocks it held. */
  dropEverywhere(bits: bigint): number {
    let n = 0;
    for (let b = 0; b < this.blocks; b++) {
      const i = holdersIndex(b);
      if ((Atomics.load(this.holders, i) & bits) !== 0n) {
        Atomics.and(this.holders, i, ~bits);
        n++;
      }
    }
    return n;
  }

  /** True when no block is held by a receiver (bit 0, in flight, is ignored: only its router can clear it). */
  idle(): boolean {
    for (let b = 0; b < this.blocks; b++) if ((Atomics.load(this.holders, holdersIndex(b)) & ~1n) !== 0n) return false;
    return true;
  }

  /**
   * A read-only view of the sample at `block` (check {@link matches} first): a window into the
   * pool's one data mapping, valid as long as it is reachable (its bytes change once the
   * publisher reuses the slot). Throws once the pool is closed.
   */
  sampleBytes(block: number, length: number): Uint8Array {
    if (this.#closed) throw new Error(`pool ${this.name} is closed`);
    if (length === 0) return new Uint8Array(0);
    // A slot's next sample of the same length gets the same view (one typed array per sample
    // was a measurable part of a delivery); it shows the same memory either way.
    const known = this.#views[block];
    if (known !== undefined && known.length === length) return known;
    this.#data ??= mapRangeUntilCollected(this.#fd, this.dataOffset, this.blocks * this.blockBytes, { readOnly: true });
    const made = new Uint8Array(this.#data, block * this.blockBytes, length);
    this.#views[block] = made;
    return made;
  }

  /**
   * Unmaps the control area and closes the descriptor. The data mapping is only dropped: it is
   * unmapped once no view of it is reachable any more.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#data = undefined;
    this.#views = [];
    this.#control.release();
    try {
      closeFd(this.#fd);
    } catch {
      // already closed
    }
  }
}
