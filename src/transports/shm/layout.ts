/**
 * The binary layout of one shm connection segment, written down once. This module only
 * describes offsets, sizes and capacity checks; the algorithms live in `ring.ts`.
 *
 * A segment holds a header and two single-producer/single-consumer rings: ring 0 carries frames
 * from the client to the hub, ring 1 from the hub to the client. Every word is little-endian and
 * naturally aligned, read and written with `Atomics` on views of the mapping.
 *
 * ```
 *  segment                                    ring control (RING_CONTROL_BYTES = 512)
 *  0    ┌──────────────────────────────┐      +0   ┌─ tail i64 (producer position) ──────┐
 *       │ header (HEADER_BYTES = 384)  │           │  producerClosed i32 @+8              │
 *  384  ├──────────────────────────────┤      +128 ├─ head i64 (consumer position) ──────┤
 *       │ ring 0 control  client → hub │      +256 ├─ consumerParked i32 ────────────────┤
 *  896  ├──────────────────────────────┤      +384 ├─ producerParked i32 ────────────────┤
 *       │ ring 0 data (capacity bytes) │      +512 └─────────────────────────────────────┘
 *       ├──────────────────────────────┤      each word on its own 128-byte line (two 64-byte
 *       │ ring 1 control  hub → client │      lines: adjacent-line prefetch), so the producer
 *       ├──────────────────────────────┤      and the consumer never write the same line.
 *       │ ring 1 data (capacity bytes) │
 *       └──────────────────────────────┘
 *
 *  header
 *  +0   magic u32 'UBS1'          +4  version u32 (written LAST by the creator: a reader that
 *  +8   capacity u32 (per ring)        sees VERSION sees every other header word)
 *  +12  clientPid i32             +16 hubPid i32 (written by the hub when it attaches)
 *  +20  hubState i32 (0 waiting, 1 attached, 2 refused)
 *  +128 clientHeartbeat i32 (own line)     +256 hubHeartbeat i32 (own line)
 *
 *  record (8-byte aligned; positions only grow, index = position & (capacity - 1))
 *  +0 length i32   header + body bytes; 0 = not committed yet; stored LAST (release)
 *  +4 kind i32     WHOLE | FIRST | NEXT | PADDING
 *  +8 body         FIRST: u32 total frame size, u32 0, then the first piece
 *                 (a frame goes in pieces only when it is larger than a record; each piece is
 *                 as long as the ring's room then, from a sixteenth of the ring, or the frame's rest)
 *  padded with garbage up to the next multiple of 8; the header after it is zeroed before commit
 * ```
 * @module
 */

/** 'UBS1' read as a little-endian u32. */
export const MAGIC = 0x31534255;
/** Layout version; bump on any change to this file (2: records up to 5/16 of the ring, not 1/4). */
export const VERSION = 2;

/** Bytes of the segment header. */
export const HEADER_BYTES = 384;
/** Byte offsets inside the header. */
export const Header = {
  magic: 0,
  version: 4,
  capacity: 8,
  clientPid: 12,
  hubPid: 16,
  hubState: 20,
  clientHeartbeat: 128,
  hubHeartbeat: 256,
} as const;

/** Values of `Header.hubState`. */
export const HubState = { waiting: 0, attached: 1, refused: 2 } as const;

/** Bytes of a ring's control block (four 128-byte lines). */
export const RING_CONTROL_BYTES = 512;
/** Byte offsets inside a ring's control block. */
export const Control = {
  tail: 0,
  producerClosed: 8,
  head: 128,
  consumerParked: 256,
  producerParked: 384,
} as const;

/** Record header bytes: length i32 + kind i32. */
export const RECORD_HEADER_BYTES = 8;
/** Extra body bytes at the start of a FIRST record: u32 total frame size + u32 reserved. */
export const FIRST_PREFIX_BYTES = 8;
/** Record alignment. */
export const RECORD_ALIGN = 8;

/** Values of a record's kind word. */
export const Kind = {
  /** A whole frame in one record. */
  whole: 1,
  /** The first piece of a frame larger than one record; its body starts with the total size. */
  first: 2,
  /** A following piece; the frame is complete when the pieces add up to the total. */
  next: 3,
  /** Skip to the start of the data area (the rest of the ring was too short for the record). */
  padding: 4,
} as const;

/** Smallest and largest ring capacity (bytes of each data area). */
export const MIN_CAPACITY = 4096;
export const MAX_CAPACITY = 1 << 30;
/** Default ring capacity: 4 MiB per direction. */
export const DEFAULT_CAPACITY = 4 * 1024 * 1024;

/** Rounds up to the record alignment. */
export function align(n: number): number {
  return (n + (RECORD_ALIGN - 1)) & ~(RECORD_ALIGN - 1);
}

/**
 * Largest record (header included) a ring of `capacity` takes: a quarter of it and a sixteenth
 * more. Why more than a quarter: a payload of a quarter of the ring (1 MiB in the default 4 MiB
 * ring) with its bus and record headers then still fits one record, so it is encoded straight
 * into the ring and copied out with one copy; at exactly a quarter it went in two pieces, through
 * a pooled buffer (one more copy of the whole frame) and a wake-up per piece. Why no more: any
 * record of at most half the ring, with the padding before it and the zeroed next header, fits
 * an empty ring (a record that does not fit before the end starts past the middle), but the
 * larger a record, the emptier the ring must be before it goes in: a writer of near-half records
 * waits for the reader to drain it all, so larger frames stream through in pieces instead.
 */
export function maxRecordBytes(capacity: number): number {
  return (capacity >>> 2) + (capacity >>> 4);
}

/** Smallest piece a frame in pieces waits for (see `RingProducer`): a sixteenth of the ring. */
export function minPieceBytes(capacity: number): number {
  return capacity >>> 4;
}

/** Throws RangeError unless `capacity` is a power of two within bounds. */
export function checkCapacity(capacity: number): void {
  if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY
    || (capacity & (capacity - 1)) !== 0) {
    throw new RangeError(`ring size must be a power of two from ${MIN_CAPACITY} to ${MAX_CAPACITY} bytes: size=${capacity}`);
  }
}

/** Byte offset of ring `which`'s control block (0: client → hub, 1: hub → client). */
export function ringOffset(capacity: number, which: 0 | 1): number {
  return HEADER_BYTES + which * (RING_CONTROL_BYTES + capacity);
}

/** Total segment bytes for a given ring capacity. */
export function segmentBytes(capacity: number): number {
  return HEADER_BYTES + 2 * (RING_CONTROL_BYTES + capacity);
}
