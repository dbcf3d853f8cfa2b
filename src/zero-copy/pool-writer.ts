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

/** A run of blocks handed out by {@link PoolWriter.take}. */
export interface Run {
  readonly block: number;
  readonly blocks: number;
  readonly length: number;
  readonly generation: number;
}

export class PoolWriter {
  readonly name: string;
  readonly geometry: PoolGeometry;
  /** This pool's descriptors (the name's bytes made once). */
  readonly descriptors: DescriptorWriter;
  readonly #region: MappedRegion;
  readonly #words: Int32Array;
  /** Per block: 1 while part of a loaned or published run (as far as this process knows). */
  readonly #busy: Uint8Array;
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
    this.#words = new Int32Array(this.#region.buffer, 0, geometry.dataOffset >>> 2);
    this.#busy = new Uint8Array(geometry.blocks);
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
   * A free run for `length` bytes, or undefined when none is free now. Runs released since the
   * last loan are taken back first (the oldest published, in order: a few loads), and the lowest
   * free run is used: the pool's working set stays as small as what is in flight, so its pages
   * stay mapped and in cache (walking the whole pool like a ring touched every page of it, in
   * every process: at 64 KiB blocks that was 4,096 first-touch page faults per pass, each side).
   */
  take(length: number): Run | undefined {
    if (this.#closed) return undefined;
    const need = runBlocks(length, this.geometry.blockBytes);
    this.#reclaimOldest();
    let block = this.#find(need);
    if (block < 0) {
      this.#reclaim();
      block = this.#find(need);
      if (block < 0) return undefined;
    }
    this.#busy.fill(1, block, block + need);
    if (block === this.#lowestFree) this.#lowestFree = block + need;
    const generation = (Atomics.load(this.#words, generationIndex(block)) + 1) | 0;
    Atomics.store(this.#words, generationIndex(block), generation);
    Atomics.store(this.#words, lengthIndex(block), length);
    return { block, blocks: need, length, generation };
  }

  /**
   * The writable bytes of `run` (in this process's own mapping). A slot loaned again with the
   * same length gets the same view: a typed array made per loan was a measurable part of a loan.
   */
  bytes(run: Run): Uint8Array {
    const known = this.#views[run.block];
    if (known !== undefined && known.length === run.length) return known;
    const made = new Uint8Array(this.#region.buffer, this.geometry.dataOffset + run.block * this.geometry.blockBytes, run.length);
    this.#views[run.block] = made;
    return made;
  }

  /**
   * Marks `run` in flight (holders = bit 0) before its descriptor is sent: from here on only the
   * hub and the receivers give it back. ORDER: the data was written before this store.
   */
  publish(run: Run): void {
    // The high half is 0 already (the run was free): bit 0 of the low half is the in-flight bit.
    Atomics.store(this.#words, holdersHalf(run.block, 0), 1);
    this.#publishedBlocks[run.block] = run.blocks;
    this.#publishedRuns++;
    this.#queue.push(run.block);
  }

  /**
   * A loan waits for room: receivers (and the hub) that free a run from now on tell this bus
   * (Header.waiting, ./pool-layout.ts). Look again after it: a run freed just before is not told.
   */
  wantRoom(): void {
    Atomics.store(this.#words, Header.waiting >>> 2, 1);
  }

  /** Gives back a loan that was never published. */
  cancel(run: Run): void {
    this.#busy.fill(0, run.block, run.block + run.blocks);
    if (run.block < this.#lowestFree) this.#lowestFree = run.block;
  }

  /** A publish that never left this process (the send failed): free the run again. */
  unpublish(run: Run): void {
    Atomics.store(this.#words, holdersHalf(run.block, 0), 0);
    if (this.#publishedBlocks[run.block] !== 0) {
      this.#publishedBlocks[run.block] = 0;
      this.#publishedRuns--;
    }
    this.cancel(run);
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
    this.#busy.fill(0, block, block + blocks);
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
