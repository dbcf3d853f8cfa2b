/**
 * What a client makes of an ERR from its hub: `[8, code, text]`, or `[8, code, text, detail]`
 * where detail is `{ sid }` (an error about one subscription) or a policy's refusal
 * (../policy/denied-frame.ts). The code is stable (`ERR_UNIBUS_*`), so it maps onto the same
 * typed error the hub raised: a refused SUB becomes a `LimitError` for that subscription, a
 * slow-consumer notice becomes a `slow-consumer` event, anything else an `error` event.
 * Apart from the client (./client.ts) so that it keeps the protocol flow and this file the error
 * mapping.
 * @module
 */
import { LimitError, PolicyDeniedError, ProtocolError, SlowConsumerError } from '../../errors.js';
import { deniedDetail, type DeniedDetail } from '../policy/denied-frame.js';
import type { FabricStatus } from '../fabric.js';
import type { Closed } from '../../transports/transport.js';

export function hubErrorEvent(code: unknown, text: unknown, aboutSub: boolean): FabricStatus {
  const detail = String(text);
  if (code === 'ERR_UNIBUS_SLOW_CONSUMER') return { type: 'slow-consumer', detail };
  if (code === 'ERR_UNIBUS_LIMIT') {
    // The hub writes "<limit option>: <detail>".
    const at = detail.indexOf(': ');
    const error = at > 0 ? new LimitError(detail.slice(0, at), detail.slice(at + 2)) : new LimitError('?', detail);
    return { type: 'error', error };
  }
  const error = new ProtocolError(`hub says ${String(code)}: ${detail}${aboutSub ? ' (about one subscription)' : ''}`);
  return { type: 'error', error };
}

/** A client's local subscription, as far as an ERR about it is concerned. */
export interface ErrSubscription {
  readonly pattern: string;
  readonly onError: ((err: Error) => void) | undefined;
}

/** What an ERR acts on in the client that got it. */
export interface ErrTarget<S extends ErrSubscription> {
  /** The local subscription with this sid, if it still exists. */
  sub(sid: number): S | undefined;
  /** Ends a local subscription without an UNSUB (the hub already dropped it). */
  forget(sub: S): void;
  /** Fails every pending flush with `err`. */
  failFlushes(err: Error): void;
  /** Reports a status event on the client. */
  emit(event: FabricStatus): void;
}

/**
 * Acts on one ERR frame `msg` from the hub. An ERR about one subscription (detail `{ sid }`)
 * ends that subscription only (its `onError`, else an `error` event). A policy refusal of a SUB
 * ends that subscription with `PolicyDeniedError`; of a PUB: the publish already resolved
 * (publish() resolves on local acceptance), so the error fails every flush pending now (each
 * was sent after that PUB: the hub answers in order) and is an `error` event.
 */
export function onHubErr<S extends ErrSubscription>(msg: unknown[], target: ErrTarget<S>): void {
  const denied = deniedDetail(msg);
  if (denied) {
    onDenied(denied, target);
    return;
  }
  const detail = msg[3] as { sid?: unknown } | null | undefined;
  const sid = typeof detail === 'object' && detail !== null && typeof detail.sid === 'number' ? detail.sid : undefined;
  const sub = sid !== undefined ? target.sub(sid) : undefined;
  const event = hubErrorEvent(msg[1], msg[2], sub !== undefined);
  if (sub && event.type === 'error') {
    target.forget(sub);
    if (sub.onError) sub.onError(event.error);
    else target.emit(event);
    return;
  }
  target.emit(event);
}

function onDenied<S extends ErrSubscription>(d: DeniedDetail, target: ErrTarget<S>): void {
  const err = new PolicyDeniedError(d.action, d.subject, d.rule);
  if (d.sid !== undefined) {
    const sub = target.sub(d.sid);
    if (!sub || sub.pattern !== d.subject) return;
    target.forget(sub);
    sub.onError?.(err);
    return;
  }
  target.failFlushes(err);
  target.emit({ type: 'error', error: err });
}

/**
 * The error an ERR event means for the whole connection, when it means one: the hub drops a slow
 * consumer (outbox, stall, or a zero-copy sample held past `maxHold`) with ERR then close, so
 * the disconnect that follows carries this typed error instead of a bare end.
 */
export function connectionEndError(event: FabricStatus): Error | undefined {
  if (event.type !== 'slow-consumer') return undefined;
  const prefix = 'Slow consumer: ';
  return new SlowConsumerError(event.detail.startsWith(prefix) ? event.detail.slice(prefix.length) : event.detail);
}

/** `closed`, carrying `error` (the hub's reason, see {@link connectionEndError}) unless it has one. */
export function closedWith(closed: Closed, error: Error | undefined): Closed {
  return error === undefined || closed.error !== undefined ? closed : { ...closed, error };
}
