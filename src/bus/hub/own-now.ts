/**
 * The hub's own publishes of a value, routed at once and written in place into each
 * subscriber's connection: no encoding of their own, no trip over the hub bus's link.
 *
 * Why: by the link (./local-route.ts) a hub's publish is encoded into memory of its own (the
 * publisher may change its value once `publish` returns, and the router takes the frame a turn
 * later), then copied again into each connection. That first copy lands on memory nobody used
 * lately: per message at 4 KiB it was the hub's largest cost (2.1 µs, with the GC of its slabs
 * 2.3 µs more; the raw socket's sender spends 6 µs in all), and from 64 KiB a fresh allocation
 * page-faulted per 4 KiB (57 µs of copy per 64 KiB message). A remote client encodes straight
 * into its connection's buffer; this does the same for the hub, once per subscriber.
 *
 * Only where that cannot be told apart from the link: nothing the hub's bus sent before waits
 * on its link (nothing is overtaken: SUB, UNSUB, PING and earlier publishes are all routed), the
 * router is not inside the routing of something else (a subscriber's handler that publishes in
 * reaction must come after what it reacts to, at every peer), and every subscriber is a remote
 * peer whose connection writes in place and takes the frame's size, and whose outbox is clear,
 * or holds nothing while its full connection holds the router (within its grace: it reads, and
 * the frame goes out after everything handed to it before). The router reads, or only such full
 * subscribers hold it: then the publisher waits (`waits`) until it reads again, as publishers
 * held by the router do, so nothing grows past one window of unawaited publishes, as on a remote
 * client's own connection. No queue group, no subscription of the hub's own bus, no
 * `$sys.stats` counting, no zero-copy samples. Anything else: the caller takes the link path,
 * exactly as before.
 * @module
 */
import { canWriteInPlace } from '../../transports/capabilities.js';
import { uninitialized } from '../../bytes.js';
import { excluded } from '../policy/decide.js';
import type { SubjectIndex } from '../subjects/subject-index.js';
import type { RouterPeer, SubEntry } from './router-peer.js';

/**
 * What became of a publish offered for routing now: `routed`; `waits` (routed, but the router
 * does not read now: a subscriber's connection is full. The publisher waits until it reads
 * again, as every other publisher does); `behind` (not routed: something sent before is still
 * on the link, or the router holds its input for another reason: send it over the link, then
 * wait until the router has read it); `link` (not routed: it takes the link's path, for a queue
 * group, a subscription of the hub's own bus, a subscriber full past its grace...: no wait).
 */
export type OwnRoute = 'routed' | 'waits' | 'behind' | 'link';

/** One PUB frame that writes itself wherever it is asked to (the same bytes each time). */
export interface OwnFrame {
  readonly topic: string;
  /** Its payload's codec id (a zero-copy sample's descriptor must take the router's sample path). */
  readonly codec: number;
  readonly size: number;
  /** Writes the frame's `size` bytes at `out[at]`. */
  write(out: Uint8Array, at: number): void;
}

/** What of the router routing now needs. */
export interface OwnRouteContext {
  readonly index: SubjectIndex<SubEntry>;
  /** A new route stamp (dedupes a peer with several matching subscriptions). */
  stamp(): number;
  /** A message was routed to at least one subscription (the router's counter). */
  routed(): void;
  /** `peer` could not be handed this frame (it is closing). */
  dropped(peer: RouterPeer): void;
}

/** What of the router's flow control (./router-flow.ts) the hub's own publishes need. */
export interface OwnFlow {
  /** The router reads from its peers. */
  readonly reading: boolean;
  /** Only full connections of peers within their grace keep it from reading. */
  readonly heldByPeersOnly: boolean;
  /** `peer`'s full connection holds the router (within its grace). */
  isHolding(peer: RouterPeer): boolean;
}

/**
 * Peers of the route being written (reused: routing is synchronous and never re-entered here).
 * Counted, never truncated: `length = 0` drops the backing store, and every push after it
 * allocated a new one (~100 B per publish, a third of the hub's garbage at 64 B objects).
 */
const targets: Array<RouterPeer | undefined> = [];
let targetCount = 0;

/**
 * The hub's own publish `frame`, routed now (`routeOwnNow`) while the router reads or only full
 * subscribers hold it: those are written to as well, past their connection's mark, as a remote
 * publisher's own connection takes a frame past its mark, and the publisher waits (`waits`)
 * until the router reads again, as every publisher held by the router does. Why: with the link
 * path instead, every publish after one that filled a subscriber crossed the link (copied into
 * memory of its own, then copied again into the connection once it drained): at 1 MiB 162 of
 * 181 publishes of the hub did, at 4 KiB 37%. The caller has checked the rest (the link is
 * idle, no stats, no samples).
 */
export function routeOwnPublish(ctx: OwnRouteContext, flow: OwnFlow, frame: OwnFrame): OwnRoute {
  if (!flow.heldByPeersOnly) return 'behind';
  const reading = flow.reading;
  const done = routeOwnNow(ctx, frame, reading ? undefined : flow);
  if (reading) return done;
  return done === 'routed' ? 'waits' : 'behind';
}

/**
 * Routes `frame` now, written in place into every subscriber's connection (`routed`), or says
 * why not, having written nothing (`OwnRoute`). `held`: the router does not read, and the full
 * peers that hold it take the frame too. The caller has checked the rest (the link is idle, no
 * stats, no samples; without `held`, the router reads).
 */
export function routeOwnNow(ctx: OwnRouteContext, frame: OwnFrame, held?: OwnFlow): OwnRoute {
  const entries = ctx.index.match(frame.topic);
  if (entries.length === 0) return 'routed';
  const stamp = ctx.stamp();
  targetCount = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const peer = e.peer;
    if (e.queue !== undefined || peer.local !== undefined) return giveUp('link');
    if (e.except !== undefined && excluded(e.except, frame.topic)) continue;
    if (peer.stamp === stamp) continue;
    peer.stamp = stamp;
    if (!writable(peer, held) || !canWriteInPlace(peer.conn) || frame.size > peer.frameLimit) return giveUp('link');
    targets[targetCount++] = peer;
  }
  const n = targetCount;
  targetCount = 0;
  for (let i = 0; i < n; i++) {
    const peer = targets[i]!;
    targets[i] = undefined; // a peer is not kept alive past its route
    // Held, a full connection that declines the frame in place (a shm ring) has it go by the link:
    // it would wait in memory of its own either way, and a buffer per frame cost more than the
    // link's cuts (shm-h2c at 4 KiB: the hub's CPU 3.1 µs per message against 2.4). Only the
    // first target can decline: nothing is written yet.
    if (!writeTo(ctx, peer, frame, i === 0 && held !== undefined && !peer.outbox.clear)) {
      for (let j = i + 1; j < n; j++) targets[j] = undefined;
      return 'link';
    }
  }
  ctx.routed();
  return 'routed';
}

/**
 * `peer` takes a frame in its connection now, in order: nothing waits in its outbox and its
 * connection has room, or (`held`) is full while the peer holds the router. Full past its
 * grace, frames wait in its outbox instead (counted against `maxPendingBytes`).
 */
function writable(peer: RouterPeer, held: OwnFlow | undefined): boolean {
  const out = peer.outbox;
  return out.clear || (held !== undefined && out.empty && held.isHolding(peer));
}

function giveUp(why: OwnRoute): OwnRoute {
  for (let i = 0; i < targetCount; i++) targets[i] = undefined;
  targetCount = 0;
  return why;
}

/**
 * `frame` into `peer`'s connection in place (`writable` holds); into a buffer of its own, through
 * the outbox, when the connection declines that now. `mayDecline`: then write nothing and return
 * false instead.
 */
function writeTo(ctx: OwnRouteContext, peer: RouterPeer, frame: OwnFrame, mayDecline: boolean): boolean {
  const conn = peer.conn;
  if (!canWriteInPlace(conn)) return true;
  let at: number;
  try {
    at = conn.reserveFrame(frame.size);
  } catch {
    // Closing: this delivery is skipped, as `PeerOutbox.write` skips it.
    ctx.dropped(peer);
    return true;
  }
  if (at < 0) {
    if (mayDecline) return false;
    const own = uninitialized(frame.size);
    frame.write(own, 0);
    if (!peer.outbox.write(own)) ctx.dropped(peer);
    return true;
  }
  frame.write(conn.reservedBuffer, at);
  peer.outbox.wrote(conn.commitFrame());
  return true;
}
