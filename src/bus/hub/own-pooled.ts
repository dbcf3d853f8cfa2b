/**
 * Large payloads of the hub's own publishes that must cross the hub bus's link: encoded into a
 * pooled buffer (../../transports/framing/large-frame-pool.ts), given back once the router has
 * copied them into every subscriber's connection.
 *
 * Why: a publish of the hub that cannot be routed at once (./own-now.ts: something of the hub's
 * bus waits on the link, the hub-wide bound holds the router, a subscriber is full past its
 * grace) crosses the link, and its payload must be copied first (the caller may change its
 * array as soon as `publish()` returns). Before full subscribers within their grace took the
 * hub's publishes at once, most 1 MiB publishes to a fast reader did (162 of 181). That copy went
 * into a fresh allocation per message: from 128 KiB glibc serves each with a fresh mmap, so
 * every page faulted in on first touch (~1 ms of the hub's ~2 ms per 1 MiB message; its
 * profile: 25% in that copy, 13% GC). A pooled buffer used before costs the copy alone.
 *
 * When is the buffer free again? Only when nobody can read it any more. When the router takes
 * the publish from the link it first offers it to be written in place into every subscriber's
 * connection now (the same `routeOwn` as a publish routed at once: it either copies the frame
 * into each connection's own buffer, or writes nothing), and on `routed` or `waits` gives it back.
 * Otherwise (a subscriber whose outbox holds frames, a queue group, a subscription of the hub's
 * own bus, which is handed a view of the payload) the publish is routed the usual way, by
 * reference, and its buffer is never given back: the garbage collector takes it, as before.
 * Giving back late or never costs a fresh buffer next time; giving back early would corrupt a
 * message, so this is the only place that gives one back.
 * @module
 */
import type { Codec } from '../../codecs/codec.js';
import { giveLargeFrame, takeLargeFrame } from '../../transports/framing/large-frame-pool.js';
import { view } from '../../bytes.js';
import type { ClaimedPub } from './local-route.js';
import type { OwnFrame, OwnRoute } from './own-now.js';

/** A payload encoded into a pooled buffer, and how to give the buffer back (once, when nobody reads it). */
export interface PooledPayload {
  readonly bytes: Uint8Array;
  readonly release: () => void;
}

/**
 * `value` encoded by `codec` (which can size and encode into a buffer: `n` is `codec.sizeOf(value)`)
 * into a buffer from the large-frame pool: a copy (the caller may change `value` afterwards).
 */
export function encodePooledPayload(codec: Codec, value: unknown, n: number): PooledPayload {
  const buf = takeLargeFrame(n);
  codec.encodeInto!(value, buf, 0);
  let given = false;
  return {
    bytes: view(buf, 0, n),
    release: () => {
      if (given) return;
      given = true;
      giveLargeFrame(buf);
    },
  };
}

/** A claimed PUB's frame (its chunks) as an `OwnFrame`: writes them, one after the other. */
class ClaimedFrame implements OwnFrame {
  topic = '';
  codec = 0;
  size = 0;
  chunks: readonly Uint8Array[] = [];

  write(out: Uint8Array, at: number): void {
    const chunks = this.chunks;
    for (let i = 0; i < chunks.length; i++) {
      out.set(chunks[i]!, at);
      at += chunks[i]!.length;
    }
  }
}

/** Reused: routing it is synchronous and never re-entered. */
const claimed = new ClaimedFrame();

/**
 * A claimed publish whose payload is pooled (`own.release`), written now into every subscriber's
 * connection by `routeOwn`; true when it was (its buffer is then given back), false when it must
 * be routed the usual way (nothing was written).
 */
export function routeClaimedNow(routeOwn: (frame: OwnFrame) => OwnRoute, own: ClaimedPub): boolean {
  if (own.release === undefined) return false;
  const f = claimed;
  f.topic = own.pub.topic;
  f.codec = own.pub.codec;
  f.chunks = own.frame instanceof Uint8Array ? [own.frame] : own.frame;
  let size = 0;
  for (let i = 0; i < f.chunks.length; i++) size += f.chunks[i]!.length;
  f.size = size;
  let done: OwnRoute;
  try {
    done = routeOwn(f);
  } finally {
    f.chunks = [];
  }
  if (done === 'behind' || done === 'link') return false;
  own.release();
  return true;
}
