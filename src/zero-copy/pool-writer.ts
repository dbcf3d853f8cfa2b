/**
 * The publisher's side of a pool (./pool-layout.ts): makes the segment, hands out runs of free
 * blocks as loans, marks them in flight at publish, and takes a run back once every holder bit
 * of its first entry is clear. Only this process allocates, so the free map is local; the only
 * shared state is the holders word, which receivers and the hub clear without telling us (no
 * message per release: a loan that finds no room looks again, ./loans.ts).
 * @module
 */
import { closeFd, truncateFd } from '../native/fds.js';
import { mapShared, shmOpen, shmUnlink, type MappedRegion } from '../native/mmap.js';
import {
  Header, IN_FLIGHT, POOL_MAGIC, POOL_VERSION, generationIndex, holdersIndex, lengthIndex, runBlocks, type PoolGeometry,
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
  readonly #holders: BigInt64Array;
  readonly #words: Int32Array;
  /** Per block: 1 while part of a loaned or published run (as far as this process knows). */
  readonly #busy: Uint8Array;
  /** Published runs not yet seen free: first block → block count. */
  readonly #published = new Map<number, number>();
  /** Next-fit cursor: loans walk the pool like a ring, so a freed run is reused last. */
  #cursor = 0;
  #closed = false;

  /** Creates pool `name` (0600 or `mode`, O_EXCL) with `geometry`; header version written last. */
  constructor(name: string, geometry: PoolGeometry, mode: number) {
    const fd = shmOpen(name, { create: true, mode });
    try {
      truncateFd(fd, geometry.totalBytes);
      this.#region = mapShared(fd, geometry.totalBytes);
    } catch (err) {
      shmUnlink(name);
      throw err;
    } finally {
      closeFd(fd);
    }
    this.name = name;
    this.geometry = geometry;
    this.descriptors = new DescriptorWriter(name);
    this.#holders = new BigInt64Array(this.#region.buffer, 0, geometry.dataOffset >>> 3);
    this.#words = new Int32Array(this.#region.buffer, 0, geometry.dataOffset >>> 2);
    this.#busy = new Uint8Array(geometry.blocks);
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

  /** A free run for `length` bytes, or undefined when none is free now. */
  take(length: number): Run | undefined {
    if (this.#closed) return undefined;
    const need = runBlocks(length, this.geometry.blockBytes);
    let block = this.#find(need);
    if (block < 0) {
      this.#reclaim();
      block = this.#find(need);
      if (block < 0) return undefined;
    }
    this.#busy.fill(1, block, block + need);
    this.#cursor = (block + need) % this.geometry.blocks;
    const generation = (Atomics.load(this.#words, generationIndex(block)) + 1) | 0;
    Atomics.store(this.#words, generationIndex(block), generation);
    Atomics.store(this.#words, lengthIndex(block), length);
    return { block, blocks: need, length, generation };
  }

  /** The writable bytes of `run` (in this process's own mapping). */
  bytes(run: Run): Uint8Array {
    return new Uint8Array(this.#region.buffer, this.geometry.dataOffset + run.block * this.geometry.blockBytes, run.length);
  }

  /**
   * Marks `run` in flight (holders = bit 0) before its descriptor is sent: from here on only the
   * hub and the receivers give it back. ORDER: the data was written before this store.
   */
  publish(run: Run): void {
    Atomics.store(this.#holders, holdersIndex(run.block), IN_FLIGHT);
    this.#published.set(run.block, run.blocks);
  }

  /** Gives back a loan that was never published. */
  cancel(run: Run): void {
    this.#busy.fill(0, run.block, run.block + run.blocks);
  }

  /** A publish that never left this process (the send failed): free the run again. */
  unpublish(run: Run): void {
    Atomics.store(this.#holders, holdersIndex(run.block), 0n);
    this.#published.delete(run.block);
    this.cancel(run);
  }

  /** Published runs still held by someone (in flight or by a receiver). */
  get held(): number {
    this.#reclaim();
    return this.#published.size;
  }

  /** Frees every published run whose holders word reads 0. */
  #reclaim(): void {
    for (const [block, blocks] of this.#published) {
      if (Atomics.load(this.#holders, holdersIndex(block)) === 0n) {
        this.#published.delete(block);
        this.#busy.fill(0, block, block + blocks);
      }
    }
  }

  /** First free run of `need` blocks at or after the cursor, else from the start; -1 when none. */
  #find(need: number): number {
    const n = this.geometry.blocks;
    if (need > n) return -1;
    const found = this.#scan(need, this.#cursor, n);
    return found >= 0 ? found : this.#scan(need, 0, Math.min(n, this.#cursor + need - 1));
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
