/**
 * The hub's per-connection and hub-wide limits: what one peer may cost the hub, so that no
 * client (buggy or hostile) can exhaust its memory or hold up everyone else.
 *
 * - `maxSubscriptions` (per connection): a SUB past it is refused with
 *   `ERR [8, 'ERR_UNIBUS_LIMIT', 'maxSubscriptions: ...', sid]`; the connection stays open and the
 *   client's subscription fails with `LimitError`.
 * - `backpressureGrace` (per connection): ms a subscriber whose connection filled may hold back
 *   everyone (the hub stops reading: lossless backpressure) before the hub routes on without it.
 * - `maxPendingBytes` (per connection): bytes routed to a peer whose connection is full that may
 *   wait in the hub (its outbox, see ./peer-outbox.ts). Past it the peer is a slow consumer.
 * - `maxStall` (per connection): ms a connection may stay full. Past it: slow consumer.
 * - `maxPendingTotal` (hub-wide): bytes waiting in all outboxes together. Past it the hub stops
 *   reading from every peer (publishers wait; nothing is dropped) until half of it has drained:
 *   the hub's memory stays bounded however many slow peers there are.
 * - `maxHold` (per connection): ms a subscriber may hold a zero-copy sample (shm://) before it
 *   is a slow consumer; its connection then ends and its samples go back to their publishers
 *   (../../zero-copy/hold-watch.ts). `Infinity`: no limit.
 * @module
 */

/** Longest queue-group name a hub accepts (as long as a topic): a SUB with a longer one is a protocol error. */
export const MAX_QUEUE_NAME_LENGTH = 1024;

/** The limits a hub enforces; every field has a default (see {@link DEFAULT_HUB_LIMITS}). */
export interface HubLimits {
  /** Subscriptions one connection may hold (default 10 000). */
  readonly maxSubscriptions: number;
  /** Bytes that may wait in the hub for one peer whose connection is full (default 32 MiB). */
  readonly maxPendingBytes: number;
  /** Bytes that may wait in the hub for all peers together before it stops reading (default 256 MiB). */
  readonly maxPendingTotal: number;
  /** ms a peer's connection may stay full before it is disconnected (default 5000). */
  readonly maxStall: number;
  /** ms a subscriber that filled its connection may hold back everyone before the hub routes on without it (default 250). */
  readonly backpressureGrace: number;
  /** ms a subscriber may hold a zero-copy sample before it is a slow consumer (default 30 000; Infinity: never). */
  readonly maxHold: number;
}

export const DEFAULT_HUB_LIMITS: HubLimits = {
  maxSubscriptions: 10_000,
  maxPendingBytes: 32 * 1024 * 1024,
  maxPendingTotal: 256 * 1024 * 1024,
  maxStall: 5000,
  backpressureGrace: 250,
  maxHold: 30_000,
};

/** Fills in defaults; a value that is not a positive number is a `RangeError` naming it. */
export function resolveHubLimits(given: Partial<Record<keyof HubLimits, unknown>> = {}): HubLimits {
  const out = { ...DEFAULT_HUB_LIMITS };
  for (const key of Object.keys(DEFAULT_HUB_LIMITS) as Array<keyof HubLimits>) {
    const v = given[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !(v > 0)) {
      throw new RangeError(`${key} must be a positive number: ${key}=${String(v)}`);
    }
    out[key] = v;
  }
  return out;
}

/** The options of `limits` taken from a larger options object (only those given). */
export function pickHubLimits(options: Readonly<Record<string, unknown>>): Partial<Record<keyof HubLimits, unknown>> {
  const out: Partial<Record<keyof HubLimits, unknown>> = {};
  for (const key of Object.keys(DEFAULT_HUB_LIMITS) as Array<keyof HubLimits>) {
    if (options[key] !== undefined) out[key] = options[key];
  }
  return out;
}
