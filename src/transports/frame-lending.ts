/**
 * Frame lending, an optional capability (beside the ones in ./capabilities.ts): a connection
 * whose frames arrive in shared memory can lend a received frame to one consumer that only
 * passes it on (the hub's router forwarding a PUB into other connections), instead of copying
 * it into memory of the receiver's own.
 *
 * Why: a receiver owns every frame it is given, so each frame used to go to fresh memory. On a
 * 2-vCPU VM a first touch of a fresh page costs ~13 µs, and a relaying hub paid that (a fault
 * every few 4 KiB messages) plus the copy and the GC of the memory, for bytes it only copies on
 * into a subscriber's connection. A lent frame is a view of one scratch buffer reused by every
 * lend: copied there (hot in cache, never shared with the peer, so what the consumer checks is
 * what it forwards), valid only during the call.
 *
 * @example
 * ```ts
 * if (lendsFrames(conn)) conn.lendFrames((frame) => forwardedNow(frame)); // true: used up
 * conn.consume((frame) => keep(frame)); // every frame not used up arrives here, in order, owned
 * ```
 * @module
 */

/** A connection that can lend received frames (see the module comment). */
export interface FrameLender {
  /**
   * From now on each received frame is first offered to `use` as a lent view, valid only until
   * `use` returns (nothing may keep it, or any view of it). `use` returns true when it is done
   * with the frame; false, and the frame goes to the consumer (`consume`) as usual, as a copy of
   * its own, in order. A `use` that throws closes the connection, as a throwing consumer does.
   */
  lendFrames(use: (frame: Uint8Array) => boolean): void;
}

/** True when `conn` lends received frames (`FrameLender`). */
export function lendsFrames<C extends object>(conn: C): conn is C & FrameLender {
  return typeof (conn as Partial<FrameLender>).lendFrames === 'function';
}
