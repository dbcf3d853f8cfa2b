/**
 * Codecs turn values into payload bytes and back. Each has a numeric id that travels with every
 * message, so a hub forwards without decoding and a JSON publisher can reach a msgpack subscriber.
 * @module
 */

/** A payload codec. `decode` must return values that do not alias any buffer the codec reuses. */
export interface Codec {
  /** Wire id: 0 raw bytes, 1 msgpack, 2 JSON; 3-127 reserved for unibus, 128-255 for users. */
  readonly id: number;
  readonly name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
  /**
   * Optional in-place form, for values whose encoding is cheap to size exactly (a byte array):
   * the number of bytes `encodeInto` writes for `value`, or -1 when it has no in-place form
   * (then use `encode`). Lets an encoder write the payload straight into a transport's buffer.
   */
  sizeOf?(value: unknown): number;
  /** Writes the encoding of `value` (whose `sizeOf` was not -1) at `out[at]`. */
  encodeInto?(value: unknown, out: Uint8Array, at: number): void;
  /** Optional: `decode` of bytes [start, end) of `bytes`, without a view of them first. */
  decodeAt?(bytes: Uint8Array, start: number, end: number): unknown;
}

/** Codec ids used on the wire (docs/protocol.md). */
export const CodecId = { raw: 0, msgpack: 1, json: 2 } as const;
