/**
 * The single-producer/single-consumer ring algorithm over the layout in `layout.ts`: the writing
 * end in `ring-producer.ts`, the reading end in `ring-consumer.ts`, their shared fields in
 * `ring-end.ts`. This module states the rules they follow and re-exports them.
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
export { type SegmentViews, segmentViews } from './ring-end.js';
export { RingProducer } from './ring-producer.js';
export { NOTHING, RingConsumer } from './ring-consumer.js';
