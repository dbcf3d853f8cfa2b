/**
 * The binary layout of a zero-copy sample pool, written down once. This module only describes
 * offsets, sizes and checks; the publisher's allocator is ./pool-writer.ts, the hub's and the
 * receivers' side ./pool-reader.ts.
 *
 * A pool is one POSIX shm segment made by one publishing bus, named under its hub's prefix
 * (`/dev/shm/unibus-shm.<hub>~pool.<bus id>.<n>`), so the hub, a new hub of that name and
 * `unibus doctor` find and sweep what a crashed process left. It holds a control area (header,
 * one entry per block) and a data area of fixed-size blocks; a sample takes a run of consecutive
 * blocks and is described by the entry of its first block. Words are little-endian, naturally
 * aligned, read and written with `Atomics` on views of the mapping.
 *
 * ```
 *  pool segment                                  block entry (ENTRY_BYTES = 16), one per block
 *  0    ┌───────────────────────────────┐        +0  holders i64  bit 0: in flight (set by the
 *       │ header (HEADER_BYTES = 64)    │            publisher at publish(), cleared by the hub
 *  64   ├───────────────────────────────┤            after routing); bit n (1..63): receiver
 *       │ entries (blocks × 16 bytes)   │            lane n holds it. 0 = free. The count of
 *       ├─ padding to a page ───────────┤            receivers is the number of bits set.
 *  dataOffset (page aligned)            │        +8  generation i32 (publisher, +1 per loan)
 *       │ block 0 (blockBytes)          │        +12 length i32 (bytes of the sample; run =
 *       │ block 1                       │            ceil(length / blockBytes) blocks, min 1)
 *       │ ...                           │        Only a run's first entry is meaningful.
 *       └───────────────────────────────┘
 *
 *  header
 *  +0  magic u32 'UBZ1'    +4  version u32 (written LAST by the creator)
 *  +8  blocks u32          +12 blockBytes u32 (a multiple of the page size)
 *  +16 dataOffset u32      +20 ownerPid i32
 *  +24 waiting i32: 1 while a loan of the publisher waits for a free run (see below)
 * ```
 *
 * `waiting` (advisory; zero in pools of earlier code, which is still correct): the publisher
 * stores 1 when a loan finds no free run, then looks once more. Whoever turns a run's holders
 * word to 0 (a receiver's release, the hub's clear of bit 0) and then reads 1 swaps it to 0 and
 * sends the publisher an empty PUB on `_ZC.<bus id>.room` ({@link roomTopicOfPool}), so the
 * loan looks again at once instead of at its next 1 ms poll: one message per wait, not per
 * sample (the swap lets one freer through). A message lost or never sent costs only that poll.
 *
 * Lifetime of a block run: free (holders 0) → loaned (only the publisher knows; generation + 1,
 * data written) → published (holders = 1, before the descriptor is sent) → routed (the hub sets
 * each receiver's bit before it forwards to that receiver, then clears bit 0) → free again when
 * the last receiver clears its bit. The publisher reuses a run only when every entry of it reads
 * 0. A receiver's bit is also cleared by the hub when that receiver's connection ends (crash
 * included), because the hub knows each connection's lane.
 * @module
 */
import { PAGE_BYTES } from '../native/mmap-range.js';

/** 'UBZ1' read as a little-endian u32. */
export const POOL_MAGIC = 0x315a4255;
/** Layout version; bump on any change to this file. */
export const POOL_VERSION = 1;

export const HEADER_BYTES = 64;
export const Header = { magic: 0, version: 4, blocks: 8, blockBytes: 12, dataOffset: 16, ownerPid: 20, waiting: 24 } as const;

export const ENTRY_BYTES = 16;
/** Byte offsets inside a block entry. */
export const Entry = { holders: 0, generation: 8, length: 12 } as const;

/** Bit 0 of `holders`: published, not yet routed by the hub. */
export const IN_FLIGHT = 1n;
/** Receiver lanes 1..63 (bit n of `holders`). */
export const MAX_LANE = 63;

/** Default data area: 64 MiB. */
export const DEFAULT_POOL_BYTES = 64 * 1024 * 1024;
/** Default block: 64 KiB (a 1080p RGB frame of 6 MB takes 95 blocks). */
export const DEFAULT_BLOCK_BYTES = 64 * 1024;
export const MIN_POOL_BYTES = 64 * 1024;
export const MAX_POOL_BYTES = 16 * 1024 * 1024 * 1024;
/** Largest block count (keeps the control area a few pages and the allocator scan short). */
export const MAX_BLOCKS = 1 << 18;

/** Sizes of a pool, from the data area size asked for. */
export interface PoolGeometry {
  readonly blocks: number;
  readonly blockBytes: number;
  readonly dataOffset: number;
  readonly totalBytes: number;
}

/** Geometry for `poolBytes` of data in blocks of `blockBytes` (RangeError when out of bounds). */
export function poolGeometry(poolBytes: number, blockBytes = DEFAULT_BLOCK_BYTES): PoolGeometry {
  if (!Number.isSafeInteger(blockBytes) || blockBytes < PAGE_BYTES || blockBytes % PAGE_BYTES !== 0) {
    throw new RangeError(`pool block size must be a multiple of ${PAGE_BYTES}: block=${blockBytes}`);
  }
  if (!Number.isSafeInteger(poolBytes) || poolBytes < MIN_POOL_BYTES || poolBytes > MAX_POOL_BYTES) {
    throw new RangeError(`pool size must be from ${MIN_POOL_BYTES} to ${MAX_POOL_BYTES} bytes: pool=${poolBytes}`);
  }
  const blocks = Math.floor(poolBytes / blockBytes);
  if (blocks < 1 || blocks > MAX_BLOCKS) throw new RangeError(`pool must hold 1 to ${MAX_BLOCKS} blocks: pool=${poolBytes} block=${blockBytes}`);
  const dataOffset = pageAlign(HEADER_BYTES + blocks * ENTRY_BYTES);
  return { blocks, blockBytes, dataOffset, totalBytes: dataOffset + blocks * blockBytes };
}

/** Rounds up to a page. */
export function pageAlign(n: number): number {
  return Math.ceil(n / PAGE_BYTES) * PAGE_BYTES;
}

/** Blocks a sample of `length` bytes takes (at least one). */
export function runBlocks(length: number, blockBytes: number): number {
  return Math.max(1, Math.ceil(length / blockBytes));
}

/** Index of block `block`'s holders word in a BigInt64Array over the control area. */
export function holdersIndex(block: number): number {
  return (HEADER_BYTES + block * ENTRY_BYTES + Entry.holders) >>> 3;
}
/** Index of block `block`'s generation in an Int32Array over the control area. */
export function generationIndex(block: number): number {
  return (HEADER_BYTES + block * ENTRY_BYTES + Entry.generation) >>> 2;
}
/** Index of block `block`'s length in an Int32Array over the control area. */
export function lengthIndex(block: number): number {
  return (HEADER_BYTES + block * ENTRY_BYTES + Entry.length) >>> 2;
}

/**
 * The holders word of `block` as two Int32 halves (little-endian: low first). The hot paths set,
 * clear and test one lane's bit on its half with an Int32 atomic: the same memory and bits as
 * the i64 word, without a BigInt allocated per operation. Lane n < 32 is bit n of the low half,
 * lane n >= 32 bit n - 32 of the high half.
 */
export function holdersHalf(block: number, lane: number): number {
  return ((HEADER_BYTES + block * ENTRY_BYTES + Entry.holders) >>> 2) + (lane < 32 ? 0 : 1);
}

/** The bit of lane `lane` inside its Int32 half (see {@link holdersHalf}). */
export function laneBit32(lane: number): number {
  return 1 << (lane & 31);
}

/** The bit of receiver lane `lane` in a holders word. */
export function laneBit(lane: number): bigint {
  return 1n << BigInt(lane);
}

/** Pool names live under the shm hub's prefix: `<prefix>pool.<bus id>.<n>`. */
export const POOL_INFIX = 'pool.';
/** What may follow {@link POOL_INFIX} in a pool name. */
export const POOL_SUFFIX = /^[0-9a-z]{1,40}\.[0-9]{1,9}$/;

/** Where publisher `busId` hears that a run of its pool was freed while a loan waited (Header.waiting). */
export function roomTopic(busId: string): string {
  return `_ZC.${busId}.room`;
}

/** {@link roomTopic} of the publisher of pool `name` (`…~pool.<bus id>.<n>`); undefined for another name. */
export function roomTopicOfPool(name: string): string | undefined {
  const at = name.lastIndexOf(`~${POOL_INFIX}`);
  const suffix = at < 0 ? '' : name.slice(at + 1 + POOL_INFIX.length);
  return POOL_SUFFIX.test(suffix) ? roomTopic(suffix.slice(0, suffix.indexOf('.'))) : undefined;
}
