/**
 * The Fabric seam: who routes messages between buses. The Bus never knows which transport or
 * fabric it runs on.
 *
 * - `HubFabric` speaks the unibus protocol (docs/protocol.md) over any local Transport.
 * - `NatsFabric` maps onto NATS subjects natively, so the NATS server routes and plain NATS
 *   clients interoperate.
 *
 * Payloads cross a fabric as encoded bytes with their codec id; a fabric never decodes them.
 * @module
 */
import type { Observable } from 'rxjs';
import type { Codec } from '../codecs/codec.js';
import type { PolicyDeniedError } from '../errors.js';
import type { SpawnClientOptions, SpawnedClient } from '../transports/transport.js';

/** A message as it crosses a fabric: payload bytes stay encoded. */
export interface WireMessage {
  readonly topic: string;
  /** Codec id of `payload` (see src/codecs). */
  readonly codec: number;
  /**
   * The codec's bytes. On received messages this may be a getter (the payload is cut from its
   * frame on first use: {@link InPlaceWireMessage}): copy a message field by field, never with
   * `{ ...m }`.
   */
  readonly payload: Uint8Array;
  readonly replyTo?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Id of the publishing bus and its sequence number (for dedup and ordering checks). */
  readonly publisher?: string;
  readonly seq?: number;
}

/**
 * A received message whose payload still lies inside the bytes it arrived in (HubFabric's PUB
 * frames): a codec with `decodeAt` reads it there, without cutting out `payload` first.
 */
export interface InPlaceWireMessage extends WireMessage {
  /** The bytes the message arrived in; the payload is `frame[payloadStart, payloadEnd)`. */
  readonly frame: Uint8Array;
  readonly payloadStart: number;
  readonly payloadEnd: number;
}

/** True for a message whose payload can be read in place (see {@link InPlaceWireMessage}). */
export function isInPlace(m: WireMessage): m is InPlaceWireMessage {
  return (m as Partial<InPlaceWireMessage>).frame !== undefined;
}

/**
 * Header a fabric sets on an empty message it sends to a request's `replyTo` when nobody
 * subscribes to the request's topic (the hub knows interest; NATS reports status 503).
 */
export const STATUS_HEADER = 'unibus-status';
/** Value of {@link STATUS_HEADER} for "no responders". */
export const STATUS_NO_RESPONDERS = 'no-responders';

/** Receives messages of one fabric subscription, synchronously and in order. */
export type WireHandler = (message: WireMessage) => void;

/** Options of a fabric subscription. */
export interface FabricSubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  readonly queue?: string;
  /**
   * Called when whoever routes refuses or ends this subscription (a hub's policy refused it, or
   * a `LimitError` past `maxSubscriptions`); the subscription is then gone. Without it the error
   * is a status event.
   */
  readonly onError?: (err: Error) => void;
}

/** A live subscription on a fabric. */
export interface FabricSubscription {
  readonly id: number;
  readonly pattern: string;
  /** Ends the subscription; idempotent. */
  unsubscribe(): void;
}

/** Connection state of a fabric, as a discriminated union. */
export type FabricStatus =
  | { readonly type: 'connected'; readonly url: string }
  | {
    readonly type: 'disconnected'; readonly url: string; readonly error?: Error;
    /**
     * True when the fabric reconnects by itself and its subscriptions survive (HubFabric clients
     * of URL transports, NATS); false or absent: subscriptions end.
     */
    readonly reconnecting?: boolean;
  }
  | { readonly type: 'reconnected'; readonly url: string }
  | { readonly type: 'peer-joined'; readonly peer: PeerDescription }
  | { readonly type: 'peer-left'; readonly peer: PeerDescription; readonly reason: string; readonly error?: Error }
  | { readonly type: 'slow-consumer'; readonly peer?: PeerDescription; readonly detail: string }
  | { readonly type: 'error'; readonly error: Error }
  /** Hub with a policy: a peer's PUB or SUB was refused (`error` names the action, subject and rule). */
  | { readonly type: 'permission-denied'; readonly peer: PeerDescription; readonly error: PolicyDeniedError };

/** Who is on the other side of a hub connection. */
export interface PeerDescription {
  /** Assigned by the hub, unique among its current connections (`p1`, `p2`, ...). */
  readonly id: string;
  /** The name the peer gave in HELLO (a claim). */
  readonly name: string;
  /** Process id as the kernel proves it (unix://: SO_PEERCRED; pipe:: the spawned child); absent elsewhere. */
  readonly pid?: number;
  /** User id as the kernel proves it (unix://), absent where the transport cannot prove it. */
  readonly uid?: number;
  /** Group id as the kernel proves it (unix://). */
  readonly gid?: number;
  /** The pid the peer claimed in HELLO: a claim only, never use it to decide anything. */
  readonly claimedPid?: number;
  readonly transport: string;
}

/** Counters a fabric keeps; the Bus adds its own. */
export interface FabricStats {
  readonly sent: number;
  readonly received: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly slowConsumers: number;
  readonly protocolErrors: number;
  /** Hub only: frames not sent to a client because they exceeded the maxFrameSize it announced. */
  readonly oversizeDrops?: number;
  readonly reconnects: number;
  readonly peers: number;
  /** Hub with a policy: PUBs and SUBs it refused (absent where no policy applies). */
  readonly permissionDenied?: number;
  /** `nats://`: received messages waiting in this process while the bus is paused (`overflow: 'wait'`). */
  readonly paused?: number;
  /** `nats://`: received messages dropped because more than `maxPendingBytes` waited while paused. */
  readonly droppedWhilePaused?: number;
}

/** What the Bus needs from whoever routes. */
export interface Fabric {
  /** The URL this fabric serves or reaches. */
  readonly url: string;
  /** True on the side that routes for others (a hub). */
  readonly isHub: boolean;
  /** Lifecycle and health, as a stream of states. */
  readonly status: Observable<FabricStatus>;
  /** Delivers matching messages to `handler` until unsubscribed. */
  subscribe(pattern: string, handler: WireHandler, options?: FabricSubscribeOptions): FabricSubscription;
  /**
   * Publishes one message. Resolves when it is accepted locally; waits while the path is full.
   * The fast form: returns `undefined` when accepted with no wait needed.
   */
  publish(message: WireMessage): Promise<void> | undefined;
  /**
   * Optional fast form of `publish` for a message with no replyTo or headers, given as a value
   * and its codec: the fabric encodes it, straight into its transport's buffer where it can.
   */
  publishValue?(topic: string, codec: Codec, value: unknown): Promise<void> | undefined;
  /** Resolves when whoever routes has processed everything published before this call. */
  flush(options?: { signal?: AbortSignal; timeout?: number }): Promise<void>;
  /**
   * Drain, the fabric's part: withdraws every subscription from whoever routes, keeps
   * dispatching locally, and resolves once every message routed to this fabric before the
   * withdrawal has been handed to its handler.
   */
  drain(options: { timeout?: number }): Promise<void>;
  /** The peers currently connected (hub: its clients; client: the hub and what it reports). */
  peers(): PeerDescription[];
  stats(): FabricStats;
  /** Closes at once: accepted messages are flushed, then everything is released. */
  close(): Promise<void>;
  /**
   * Flow control of `overflow: 'wait'`: stop handing messages to this fabric's subscription
   * handlers until `resume()`. The Bus calls them in pairs, never nested: `pause` when the first
   * iterator buffer with policy `wait` fills, `resume` when the last one has room again. What
   * waits meanwhile, and where, is the fabric's: HubFabric stops reading its connection (the hub
   * holds publishers back, then queues for this bus; README "Slow consumers"); NatsFabric holds
   * messages in this process up to a byte bound (docs/nats.md "Backpressure").
   */
  pause(): void;
  /** Hands messages to handlers again, in order, starting with those that waited. */
  resume(): void;
  /**
   * Optional capability: present only on a hub whose transport starts its clients (`pipe:`).
   * Starts `command` as a child connected to this hub on inherited descriptors.
   */
  readonly spawn?: (command: string, args: readonly string[], options?: SpawnClientOptions) => SpawnedClient;
}
