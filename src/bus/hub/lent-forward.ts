/**
 * A PUB lent by its connection (../../transports/frame-lending.ts: a view valid only during the
 * call) is routed at once, written in place into each subscriber's connection, exactly as the
 * hub's own publishes are (./own-now.ts), when nothing but those connections must see it. Then
 * the hub never puts the frame in memory of its own.
 *
 * Why: relaying over shm://, the hub copied every frame from the publisher's ring into fresh
 * memory, then from there into the subscriber's: at 4 KiB the first copy, its page faults and
 * its GC were the largest part of the hub's CPU per message.
 *
 * Anything else returns false and the frame is delivered as an owned copy, routed as before: a
 * frame that is not a plain PUB (or is broken: the usual path reports it), a reply subject, a
 * reserved, lane or sample topic, and whatever `routeOwnNow` declines (a queue group, the hub's
 * own subscription, a subscriber whose outbox waits or that takes frames not in place). The
 * caller checks the router's side (peer admitted without a grant, no stats, no samples).
 * @module
 */
import { decodePubFast } from '../protocol/pub-decoder.js';
import { checkTopic } from '../subjects/grammar.js';
import { isZeroCopyFrame } from '../../zero-copy/batch.js';
import { routeOwnNow, type OwnFrame, type OwnRouteContext } from './own-now.js';
import { isReservedTopic } from './router-presence.js';

const NO_BYTES = new Uint8Array(0);

/** The lent frame as `routeOwnNow` writes it (one, reused: routing is synchronous). */
class LentFrame implements OwnFrame {
  topic = '';
  codec = 0;
  size = 0;
  bytes: Uint8Array = NO_BYTES;

  write(out: Uint8Array, at: number): void {
    out.set(this.bytes, at);
  }
}

const lent = new LentFrame();

/** Routes the lent `frame` now (true: done with it), or returns false having routed nothing. */
export function forwardLent(ctx: OwnRouteContext, frame: Uint8Array): boolean {
  let topic: string;
  let codec: number;
  try {
    const pub = decodePubFast(frame);
    if (pub === undefined || pub.replyTo !== undefined) return false;
    topic = pub.topic;
    codec = pub.codec;
    if (isZeroCopyFrame(topic, codec) || isReservedTopic(topic)) return false;
    checkTopic(topic);
  } catch {
    return false; // the usual path decodes it again and reports what is wrong
  }
  lent.topic = topic;
  lent.codec = codec;
  lent.size = frame.length;
  lent.bytes = frame;
  try {
    return routeOwnNow(ctx, lent) === 'routed';
  } finally {
    lent.bytes = NO_BYTES; // nothing keeps the lent view
  }
}
