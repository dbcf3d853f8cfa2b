/**
 * Payload encodings of the hub's own publishes (./local-route.ts), cut from a shared slab.
 *
 * Why: `codec.encode` of a byte array over 4 KiB is a fresh allocation per message
 * (`Buffer.allocUnsafeSlow`: its own ArrayBuffer, then GC): a third of the hub's CPU when it
 * published 4 KiB payloads. A codec that can size its encoding (`sizeOf`/`encodeInto`) writes
 * it here instead. A slab is only ever cut forward: an encoding handed out is never written
 * again (other peers' frames and the hub's own subscribers may hold it).
 * @module
 */
import type { Codec } from '../../codecs/codec.js';
import { uninitialized, view } from '../../bytes.js';

/** Encodings up to this size are cut from the slab; larger ones are allocated alone. */
const CUT_LIMIT = 64 * 1024;
const SLAB_BYTES = 256 * 1024;

let slab: Uint8Array = new Uint8Array(0);
let slabPos = 0;

/**
 * Payloads that are cheaper to send as an ordinary frame over the hub's link (encoded in the
 * frame, decoded again by the router) than by reference (./local-route.ts): its records and
 * views cost more than decoding a small envelope (hub -> client at 64 B: 4.0-4.4 µs of hub CPU
 * per message by reference against 2.9-3.4 before it).
 */
export const SMALL_OWN_PAYLOAD = 256;

/**
 * True when an encoding of `n` bytes (`ownPayloadSize`) goes into a pooled buffer given back once
 * routed (./own-pooled.ts) rather than into the slab or an allocation of its own.
 */
export function poolsOwnPayload(n: number): boolean {
  return n > CUT_LIMIT;
}

/** Bytes of `value`'s encoding by `codec`, by the codec's own count, or -1 when it cannot tell. */
export function ownPayloadSize(codec: Codec, value: unknown): number {
  return codec.sizeOf && codec.encodeInto ? codec.sizeOf(value) : -1;
}

/**
 * The encoding of `value` by `codec` (a copy: the caller may change `value` afterwards); `n` is
 * its `ownPayloadSize`.
 */
export function encodeOwnPayload(codec: Codec, value: unknown, n: number): Uint8Array {
  if (n < 0 || n > CUT_LIMIT) return codec.encode(value);
  if (slabPos + n > slab.length) {
    slab = uninitialized(SLAB_BYTES);
    slabPos = 0;
  }
  codec.encodeInto!(value, slab, slabPos);
  const out = view(slab, slabPos, slabPos + n);
  slabPos += n;
  return out;
}
