/**
 * The options of the Bus's public calls (`Bus.listen` / `Bus.connect`, `publish`, `request`,
 * `drain`), documented here so that ./bus.ts holds the Bus's behaviour only. Re-exported from
 * ./bus.ts and the package root.
 * @module
 */
import type { Codec, CodecName } from '../codecs/index.js';
import type { ReconnectOptions } from './hub/reconnect.js';
import type { HubPolicy } from './policy/hub-policy.js';
import type { TransportOptions } from '../transports/transport.js';
import type { AnyTopics, TopicMap, Validator } from './types.js';

/** Options of `Bus.listen` and `Bus.connect`. */
export interface BusOptions<T extends TopicMap = AnyTopics> extends TransportOptions {
  /** Payload codec for what this bus publishes (default msgpack). Receivers decode by codec id. */
  codec?: CodecName | Codec;
  /** Name shown to peers. */
  name?: string;
  /** ms a subscriber may stay full before the hub disconnects it (hub only; default 5000). */
  maxStall?: number;
  /**
   * Hub only: subscriptions one connection may hold (default 10 000). A SUB past it fails that
   * subscription with `LimitError` (code `ERR_UNIBUS_LIMIT`); the connection stays open.
   */
  maxSubscriptions?: number;
  /**
   * Hub: bytes that may wait in the hub for one subscriber whose connection is full (default
   * 32 MiB); past it the subscriber is a slow consumer: ERR, then disconnected. `nats://`: bytes
   * that may wait in this process while an iterator with `overflow: 'wait'` is full (default
   * 32 MiB); past it arriving messages are dropped and reported as `slow-consumer` (docs/nats.md).
   */
  maxPendingBytes?: number;
  /** Hub only: bytes waiting for all subscribers together before the hub stops reading (default 256 MiB). */
  maxPendingTotal?: number;
  /**
   * Hub only: ms a subscriber whose connection filled may hold back everyone (publishers wait)
   * before the hub routes on without it, queueing for it up to `maxPendingBytes` (default 250).
   */
  backpressureGrace?: number;
  /** Runtime validators per topic, checked on publish and on receive. */
  validators?: { [K in keyof T]?: Validator<T[K]> };
  /**
   * Client whose hub goes away (not `pipe:`): by default reconnects, keeping subscriptions (see
   * `ReconnectOptions`). `false`: subscriptions end (`PeerGoneError`; complete on a clean stop).
   */
  reconnect?: ReconnectOptions | false;
  /**
   * Hub only: who may publish and subscribe to what, per user and group (docs/security.md).
   * Other users may then connect (`unix://` socket 0666); the policy decides what they may do.
   * @example `Bus.listen('unix:///run/app.sock', { policy: HubPolicy.fromFile('policy.json') })`
   */
  policy?: HubPolicy;
}

/** Options of `drain`: `timeout` in ms (default 10 000; past it `TimeoutError`, closed anyway). */
export interface DrainOptions { timeout?: number }

/** Options of `publish`. */
export interface PublishOptions {
  headers?: Readonly<Record<string, string>>;
  replyTo?: string;
  /**
   * Stops waiting while the path is full (rejects with `AbortedError`). The message itself was
   * already accepted and may still be delivered; only the wait ends.
   */
  signal?: AbortSignal;
}

/** Options of `request`. */
export interface RequestOptions {
  /** ms before the request fails with `TimeoutError` (default 5000). */
  timeout?: number;
  signal?: AbortSignal;
  headers?: Readonly<Record<string, string>>;
}
