/**
 * Payload encodings of the hub's own publishes (./local-route.ts), cut from a shared slab.
 *
 * Why: `codec.encode` of a byte array over 4 KiB is a fresh allocation per message
 * (`Buffer.allocUnsafeSlow`: its own ArrayBuffer, then GC): a third of the hub's CPU when it
 * published 4 KiB payloads. A codec that can size its encoding (`sizeOf`/`encodeInto`) writes
 * it here instead. A slab is only ever cut forward: an encoding handed out is never written
 * again while anyone may hold it (other peers' frames, the hub's own subscribers).
 *
 * Cuts taken with `encodeOwnCut` are given back one by one (`release`, ./own-pooled.ts: once
 * the router has copied them into every subscriber's connection); a full slab whose cuts all
 * came back is written again from its start, instead of a fresh one (whose pages and external
 * memory the GC must then take). A cut never given back keeps its slab from reuse for good.
 * @module
 */
import type { Codec } from '../../codecs/codec.js';
import { uninitialized, view } from '../../bytes.js';
import type { PooledPayload } from './own-pooled.js';

/** Encodings up to this size are cut from a slab; larger ones go into pooled buffers (./own-pooled.ts). */
const CUT_LIMIT = 64 * 1024;
const SLAB_BYTES = 256 * 1024;

/**
 * Payloads that are cheaper to send as an ordinary frame over the hub's link (encoded in the
 * frame, decoded again by the router) than by reference (./local-route.ts): its records and
 * views cost more than decoding a small envelope (hub -> client at 64 B: 4.0-4.4 µs of hub CPU
 * per message by reference against 2.9-3.4 before it).
 */
export const SMALL_OWN_PAYLOAD = 256;

/**
 * True when an encoding of `n` bytes (`ownPayloadSize`) goes into a pooled buffer given back once
 * routed (./own-pooled.ts) rather than a cut of a slab (`encodeOwnCut`).
 */
export function poolsOwnPayload(n: number): boolean {
  return n > CUT_LIMIT;
}

/** Bytes of `value`'s encoding by `codec`, by the codec's own count, or -1 when it cannot tell. */
export function ownPayloadSize(codec: Codec, value: unknown): number {
  return codec.sizeOf && codec.encodeInto ? codec.sizeOf(value) : -1;
}

/** A slab of `encodeOwnCut`: its cuts not given back yet; full (no more cuts). */
interface CutSlab {
  readonly buf: Uint8Array;
  pos: number;
  out: number;
  full: boolean;
}

/** Slabs whose cuts all came back, kept for reuse (at most this many). */
const SPARE_SLABS = 4;
const spare: Uint8Array[] = [];
let cutSlab: CutSlab | undefined;

function recycle(s: CutSlab): void {
  if (spare.length < SPARE_SLABS) spare.push(s.buf);
}

/**
 * The encoding of `value` by `codec` (`n`: its `ownPayloadSize`, at most the slab's cut limit:
 * `!poolsOwnPayload(n)`), cut from a slab that is reused once every cut of it is given back.
 * Call `release` only when nothing can read the bytes any more; never calling it is safe.
 */
export function encodeOwnCut(codec: Codec, value: unknown, n: number): PooledPayload {
  let s = cutSlab;
  if (s === undefined || s.pos + n > s.buf.length) {
    if (s !== undefined) {
      s.full = true;
      if (s.out === 0) recycle(s);
    }
    s = cutSlab = { buf: spare.pop() ?? uninitialized(SLAB_BYTES), pos: 0, out: 0, full: false };
  }
  const slab = s;
  codec.encodeInto!(value, slab.buf, slab.pos);
  const bytes = view(slab.buf, slab.pos, slab.pos + n);
  slab.pos += n;
  slab.out++;
  let given = false;
  return {
    bytes,
    release: () => {
      if (given) return;
      given = true;
      if (--slab.out === 0 && slab.full) recycle(slab);
    },
  };
}
