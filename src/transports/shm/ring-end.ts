/**
 * What both ends of a ring share: views over the segment and the offsets of the ring's words.
 * The algorithms are in `ring-producer.ts` and `ring-consumer.ts`; the ordering rules in `ring.ts`.
 * @module
 */
import { Control, RING_CONTROL_BYTES, maxRecordBytes } from './layout.js';

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
export abstract class RingEnd {
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
