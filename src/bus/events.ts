/**
 * Bus lifecycle events (a discriminated union) and statistics. `bus.events` (an Observable) is
 * the source of truth; `bus.on(type, listener)` is a typed-emitter view derived from it.
 * @module
 */
import type { FabricStats, PeerDescription } from './fabric.js';
import type { PolicyDeniedError } from '../errors.js';

export type BusEvent =
  | { readonly type: 'connected'; readonly url: string }
  /** The hub (or server) is gone; `reconnecting`: the bus is dialling again and subscriptions survive. */
  | { readonly type: 'disconnected'; readonly url: string; readonly error?: Error; readonly reconnecting?: boolean }
  /** Back: subscriptions re-established, held publishes sent. */
  | { readonly type: 'reconnected'; readonly url: string }
  | { readonly type: 'peer-joined'; readonly peer: PeerDescription }
  | { readonly type: 'peer-left'; readonly peer: PeerDescription; readonly reason: string; readonly error?: Error }
  | { readonly type: 'slow-consumer'; readonly peer?: PeerDescription; readonly detail: string }
  | { readonly type: 'dropped'; readonly pattern: string; readonly policy: OverflowPolicy; readonly count: number }
  | { readonly type: 'bad-payload'; readonly topic: string; readonly error: Error }
  | { readonly type: 'error'; readonly error: Error }
  /** Hub with a policy: a peer's PUB or SUB was refused (on the hub's bus). */
  | { readonly type: 'permission-denied'; readonly peer: PeerDescription; readonly error: PolicyDeniedError };

/** The `type` values of bus events. */
export type BusEventType = BusEvent['type'];

/** Listener map for the typed-emitter view. */
export type BusEventListeners = {
  [K in BusEventType]: (event: Extract<BusEvent, { type: K }>) => void;
};

/** What a bounded subscriber buffer does when full. */
export type OverflowPolicy = 'wait' | 'drop-oldest' | 'drop-newest';

/** Counters of one bus (cumulative since it started): its fabric's, plus the Bus's own. */
export interface BusStats extends FabricStats {
  readonly published: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly badPayloads: number;
  readonly requests: number;
}
