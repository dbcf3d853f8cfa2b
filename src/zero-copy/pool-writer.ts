/**
 * The publisher's side of a pool (./pool-layout.ts): makes the segment, hands out runs of free
 * blocks as loans, marks them in flight at publish, and takes a run back once every holder bit
 * of its first entry is clear. Only this process allocates, so the free map is local; the only
 * shared state is the holders word, which receivers and the hub clear without telling us (no
 * message per release: a loan that finds no room looks again, ./loans.ts).
 * @module
 */
import { createSharedRegion } from '../native/shm-create.js';
import { shmUnlink, type MappedRegion } from '../native/mmap.js';
import {
  Header, POOL_MAGIC, POOL_VERSION, generationIndex, holdersHalf, lengthIndex, runBlocks, type PoolGeometry,
} from './pool-layout.js';
import { DescriptorWriter } from './descriptor.js';
import { BatchWriter } from './batch.js';

export class PoolWriter {
  readonly name: string;
  readonly geometry: PoolGeometry;
  /** This pool's descriptors (the name's bytes made once). */
  readonly descriptors: DescriptorWriter;
  /** This pool's batches of descriptors (./batch.ts). */
  readonly batches: BatchWriter;
  readonly #region: MappedRegion;
  readonly #words: Int32Array;
  /** Per block: 1 while part of a loaned or published run (as far as this process knows). */
  readonly #busy: Uint8Array;
  /**
   * Per first block of a loaned run: its block count. A loan is named by its first block alone
   * (no run object per loan: a loan was three objects, now it is one, ./loans.ts).
   */
  readonly #loanBlocks: Int32Array;
  /**
   * Per first block of a published run not yet seen free: its block count (0: none). A typed
   * array, not a Map: a sample costs no entry allocated or deleted.
   */
  readonly #publishedBlocks: Int32Array;
  #publishedRuns = 0;
  /**
   * First blocks in publish order (from #queueHead on): receivers mostly release in that order,
   * so reclaiming walks from the oldest and stops at the first still held, instead of scanning
   * every published run on each loan that finds the pool full (O(pool) per loan at 64 KiB).
   */
  #queue: number[] = [];
  #queueHead = 0;
  /** Every block below this one is busy: where the search for a free run starts. */
  #lowestFree = 0;
  /** When the last full scan ran (performance.now()): a run held out of order is found by one. */
  #lastScan = 0;
  #closed = false;
  /** The last view handed out per first block (./pool-writer.ts `bytes`). */
  #views: Array<Uint8Array | undefined> = [];

  /** Creates pool `name` (0600 or `mode`, O_EXCL) with `geometry`; header version written last. */
  constructor(name: string, geometry: PoolGeometry, mode: number) {
    this.#region = createSharedRegion(name, geometry.totalBytes, mode,
      `a zero-copy sample pool (the URL's ?pool= sets its size)`);
    this.name = name;
    this.geometry = geometry;
    this.descriptors = new DescriptorWriter(name);
    this.batches = new BatchWriter(name);
    this.#words = new Int32Array(this.#region.buffer, 0, geometry.dataOffset >>> 2);
    this.#busy = new Uint8Array(geometry.blocks);
    this.#loanBlocks = new Int32Array(geometry.blocks);
    this.#publishedBlocks = new Int32Array(geometry.blocks);
    const w = this.#words;
    w[Header.magic >>> 2] = POOL_MAGIC;
    w[Header.blocks >>> 2] = geometry.blocks;
    w[Header.blockBytes >>> 2] = geometry.blockBytes;
    w[Header.dataOffset >>> 2] = geometry.dataOffset;
    w[Header.ownerPid >>> 2] = process.pid;
    // ORDER: the version is written last; a reader that sees it sees the whole header.
    Atomics.store(w, Header.version >>> 2, POOL_VERSION);
  }

  /** Largest sample this pool takes. */
  get capacity(): number {
    return this.geometry.blocks * this.geometry.blockBytes;
  }

  /**
   * A free run for `length` bytes (its first block), or -1 when none is free now. Runs released since the
   * last loan are taken back first (the oldest published, in order: a few loads), and the lowest
   * free run is used: the pool's working set stays as small as what is in flight, so its pages
   * stay mapped and in cache (walking the whole pool like a ring touched every page of it, in
   * every process: at 64 KiB blocks that was 4,096 first-touch page faults per pass, each side).
   */
  take(length: number): number {
    if (this.#closed) return -1;
    const need = runBlocks(length, this.geometry.blockBytes);
    this.#reclaimOldest();
    let block = this.#find(need);
    if (block < 0) {
      this.#reclaim();
      block = this.#find(need);
      if (block < 0) return -1;
    }
    mark(this.#busy, block, need, 1);
    this.#loanBlocks[block] = need;
    if (block === this.#lowestFree) this.#lowestFree = block + need;
    const generation = (Atomics.load(this.#words, generationIndex(block)) + 1) | 0;
    Atomics.store(this.#words, generationIndex(block), generation);
    Atomics.store(this.#words, lengthIndex(block), length);
    return block;
  }

  /** The generation of the run loaned at `block` (this process alone writes it). */
  generationOf(block: number): number {
    return this.#words[generationIndex(block)]!;
  }

  /**
   * The writable bytes of the run loaned at `block` (in this process's own mapping). A slot loaned again with the
   * same length gets the same view: a typed array made per loan was a measurable part of a loan.
   */
  bytes(block: number, length: number): Uint8Array {
    const known = this.#views[block];
    if (known !== undefined && known.length === length) return known;
    const made = new Uint8Array(this.#region.buffer, this.geometry.dataOffset + block * this.geometry.blockBytes, length);
    this.#views[block] = made;
    return made;
  }

  /**
   * Marks the run loaned at `block` in flight (holders = bit 0) before its descriptor is sent: from here on only the
   * hub and the receivers give it back. ORDER: the data was written before this store.
   */
  publish(block: number): void {
    // The high half is 0 already (the run was free): bit 0 of the low half is the in-flight bit.
    Atomics.store(this.#words, holdersHalf(block, 0), 1);
    this.#publishedBlocks[block] = this.#loanBlocks[block]!;
    this.#publishedRuns++;
    this.#queue.push(block);
  }

  /**
   * A loan waits for room: receivers (and the hub) that free a run from now on tell this bus
   * (Header.waiting, ./pool-layout.ts). Look again after it: a run freed just before is not told.
   */
  wantRoom(): void {
    Atomics.store(this.#words, Header.waiting >>> 2, 1);
  }

  /** Gives back the loan at `block`, never published. */
  cancel(block: number): void {
    mark(this.#busy, block, this.#loanBlocks[block]!, 0);
    if (block < this.#lowestFree) this.#lowestFree = block;
  }

  /** A publish that never left this process (the send failed): free the run at `block` again. */
  unpublish(block: number): void {
    Atomics.store(this.#words, holdersHalf(block, 0), 0);
    if (this.#publishedBlocks[block] !== 0) {
      this.#publishedBlocks[block] = 0;
      this.#publishedRuns--;
    }
    this.cancel(block);
  }

  /** Published runs still held by someone (in flight or by a receiver). */
  get held(): number {
    this.#reclaim(true);
    return this.#publishedRuns;
  }

  /** Frees the oldest published runs whose holders word reads 0, in order; the number freed. */
  #reclaimOldest(): number {
    const queue = this.#queue;
    const published = this.#publishedBlocks;
    let freed = 0;
    while (this.#queueHead < queue.length) {
      const block = queue[this.#queueHead]!;
      const blocks = published[block]!;
      if (blocks !== 0) {
        if (!this.#free(block)) break;
        this.#release(block, blocks);
        freed++;
      }
      this.#queueHead++;
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > queue.length) {
      this.#queue = queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return freed;
  }

  /** @internal Queue entries from the head on (tests: it stays bounded by the published runs). */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /**
   * Frees published runs whose holders word reads 0: the oldest first, in order; when none of
   * those is free, every published run, at most once a millisecond unless `full` (a receiver that holds one
   * sample long must not stop the others from being reused, nor cost a scan per loan).
   */
  #reclaim(full = false): void {
    const freed = this.#reclaimOldest();
    if (freed > 0 || this.#publishedRuns === 0) return;
    const now = performance.now();
    if (now - this.#lastScan < 1 && !full) return;
    this.#lastScan = now;
    this.#rebuildQueue();
  }

  /**
   * The full scan: frees every published run that reads free, and makes the queue the runs still
   * published, in publish order. The oldest run is held (out of order), so the walk from the
   * head stops there and the queue would only grow behind it with runs already freed.
   */
  #rebuildQueue(): void {
    const published = this.#publishedBlocks;
    const rest: number[] = [];
    const queue = this.#queue;
    for (let i = this.#queueHead; i < queue.length; i++) {
      const block = queue[i]!;
      const blocks = published[block]!;
      if (blocks === 0) continue; // freed earlier (or an unpublish): not in the queue any more
      if (this.#free(block)) this.#release(block, blocks);
      else rest.push(block);
    }
    this.#queue = rest;
    this.#queueHead = 0;
  }

  /**
   * True when `block`'s holders word is 0. ORDER: low half first. Bits are only set while bit 0
   * (low half) is set (the hub sets lane bits before it clears the in-flight bit), so a low half
   * read as 0 stays 0, and a high half read as 0 after it means the whole word is 0: two Int32
   * loads, no BigInt allocated.
   */
  #free(block: number): boolean {
    const low = holdersHalf(block, 0);
    return Atomics.load(this.#words, low) === 0 && Atomics.load(this.#words, low + 1) === 0;
  }

  #release(block: number, blocks: number): void {
    this.#publishedBlocks[block] = 0;
    this.#publishedRuns--;
    mark(this.#busy, block, blocks, 0);
    if (block < this.#lowestFree) this.#lowestFree = block;
  }

  /** Lowest free run of `need` blocks; -1 when none. */
  #find(need: number): number {
    const n = this.geometry.blocks;
    if (need > n) return -1;
    return this.#scan(need, this.#lowestFree, n);
  }

  #scan(need: number, from: number, to: number): number {
    const busy = this.#busy;
    let free = 0;
    for (let b = from; b < to; b++) {
      if (busy[b] !== 0) free = 0;
      else if (++free === need) return b - need + 1;
    }
    return -1;
  }

  /**
   * Closes: the name goes now when no published run is held any more (nobody still has to open
   * it); otherwise the hub removes it once the last holder let go (or a new hub sweeps it).
   * The mapping is released: a loan still in the caller's hands then reads zeros.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.held === 0) {
      try {
        shmUnlink(this.name);
      } catch {
        // already gone
      }
    }
    this.#views = [];
    this.#region.release();
  }

  /** Removes the name now (the hub it was announced to is gone; a new hub swept it anyway). */
  retire(): void {
    try {
      shmUnlink(this.name);
    } catch {
      // already gone
    }
  }
}

/** Sets `n` entries of `busy` from `block` to `v`: a loop for the usual one block (a `fill` call cost more than the store). */
function mark(busy: Uint8Array, block: number, n: number, v: 0 | 1): void {
  if (n === 1) busy[block] = v;
  else busy.fill(v, block, block + n);
}
