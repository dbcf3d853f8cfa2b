/**
 * HubFabric: the Fabric of every local transport. On the hub side it owns the Listener and the
 * router, and its own bus is a client of that router over an in-process link (so the hub's
 * publishes and subscriptions follow exactly the same path as everyone else's). On a client it
 * is one HubClient over one Connection at a time: when the hub goes away, the client reconnects
 * with backoff and continues on a new connection (the state machine is ./redialer.ts, its
 * options and guarantees ./reconnect.ts), unless its transport starts its clients (`pipe:`: the
 * hub is the parent) or `reconnect: false`. This file only wires these parts together.
 * @module
 */
import type { Observable } from 'rxjs';
import { merge, Subject } from '../../rx.js';
import { memoryPair } from '../../transports/memory/memory-transport.js';
import { schemeOf, transportFor } from '../../transports/registry.js';
import {
  DEFAULT_MAX_FRAME_SIZE, type Listener, type SpawnClientOptions, type SpawnedClient, type TransportOptions,
} from '../../transports/transport.js';
import { canSpawn, handsBack } from '../../transports/capabilities.js';
import type { Codec } from '../../codecs/codec.js';
import type {
  Fabric, FabricStats, FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription, WireHandler,
  WireMessage,
} from '../fabric.js';
import { HubClient } from './client.js';
import { resolveReconnect, type ReconnectOptions } from './reconnect.js';
import { Redialer } from './redialer.js';
import { HubRouter } from './router.js';
import { poolPrefixOf } from '../../zero-copy/bus-samples.js';
import { LocalPath } from './local-route.js';
import type { HubPolicy } from '../policy/hub-policy.js';
import { pickHubLimits, resolveHubLimits } from './limits.js';

/** ms a child started by the hub (`pipe:`) has to say HELLO. */
const SPAWNED_HELLO_TIMEOUT = 120_000;

export interface HubFabricOptions extends TransportOptions {
  /** Name shown to peers (default: the program name and pid). */
  name?: string;
  /** Unique id of this bus (publisher id on the wire). */
  busId: string;
  /** ms a subscriber may stay full before the hub disconnects it (default 5000). */
  maxStall?: number;
  /** Hub only: subscriptions one connection may hold (default 10 000; see ./limits.ts). */
  maxSubscriptions?: number;
  /** Hub only: bytes that may wait in the hub for one slow subscriber (default 32 MiB). */
  maxPendingBytes?: number;
  /** Hub only: bytes that may wait for all subscribers together before the hub stops reading (default 256 MiB). */
  maxPendingTotal?: number;
  /**
   * Hub only: ms a subscriber whose connection filled may hold back everyone (publishers wait)
   * before the hub routes on without it, queueing for it up to `maxPendingBytes` (default 250).
   */
  backpressureGrace?: number;
  /**
   * Hub only (shm://): ms a subscriber may hold a zero-copy sample before the hub treats it as a
   * slow consumer (ERR, connection closed, its samples given back; default 30 000; Infinity:
   * never). A bus's own `subscribe(…, { maxHold })` revokes earlier, on its side.
   */
  maxHold?: number;
  /** Reconnection of a client (default on, with the defaults of `ReconnectOptions`); `false`: off. */
  reconnect?: ReconnectOptions | false;
  /** Hub only: per-user permissions (docs/security.md); other users may then connect. */
  policy?: HubPolicy;
}

export class HubFabric implements Fabric {
  readonly url: string;
  readonly isHub: boolean;
  readonly status: Observable<FabricStatus>;
  readonly spawn?: (command: string, args: readonly string[], options?: SpawnClientOptions) => SpawnedClient;
  readonly #client: HubClient;
  readonly #router: HubRouter | undefined;
  readonly #listener: Listener | undefined;
  /** Client side only: the reconnect state machine. */
  #redialer: Redialer | undefined;
  readonly #status = new Subject<FabricStatus>();
  #closing: Promise<void> | undefined;

  private constructor(url: string, client: HubClient, router?: HubRouter, listener?: Listener) {
    this.url = url;
    this.isHub = router !== undefined;
    this.#client = client;
    this.#router = router;
    this.#listener = listener;
    // Only a transport that starts its clients (`pipe:`) gives the Fabric its spawn capability.
    if (listener && canSpawn(listener)) this.spawn = listener.spawn.bind(listener);
    this.status = router ? merge(router.status, client.status) : merge(client.status, this.#status);
  }

  /** Starts a hub on `url` (this process routes for everyone). */
  static async listen(url: string, options: HubFabricOptions): Promise<HubFabric> {
    // Bad limits are a RangeError before anything is created.
    const limits = resolveHubLimits(pickHubLimits(options));
    const transport = await transportFor(url);
    // With a policy other users may connect (the socket becomes 0666 unless `mode` says
    // otherwise); what they may do is the policy's business.
    const listener = await transport.listen(url, options.policy
      ? { ...options, mode: options.mode ?? 0o666, allowOtherUsers: true } : options);
    const name = options.name ?? `hub-${process.pid}`;
    const router = new HubRouter({
      name, transport: transport.scheme, limits, ...(options.policy ? { policy: options.policy } : {}), poolPrefix: poolPrefixOf(url),
      // A spawned child's HELLO waits for its runtime to start, which takes seconds on a loaded
      // machine; the hub owns the child and its exit ends the connection, so waiting costs nothing.
      ...(transport.capabilities.spawnsClients ? { helloTimeout: SPAWNED_HELLO_TIMEOUT } : {}),
    });
    void router.serve(listener);
    // The hub's own bus: frames from our encoder are never rewritten, and same-turn delivery
    // keeps the hub's publishes as quick as a remote client's.
    const [local, remote] = memoryPair(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE, { immutableFrames: true, sameTurn: true });
    // Its publishes reach the router by reference, in order with its other frames (./local-route.ts).
    const path = new LocalPath(local, remote);
    router.attach(remote, path);
    // ...or, where nothing tells it apart, routed at once and written in place (./own-now.ts).
    path.routeNow = (frame) => router.routeOwn(frame);
    path.whenReading = () => router.untilReading();
    try {
      const client = await HubClient.open(local, { name, busId: options.busId, transport: 'local', direct: path });
      path.receiver = client;
      return new HubFabric(listener.url, client, router, listener);
    } catch (err) {
      await router.close();
      await listener.close();
      throw err;
    }
  }

  /** Connects to the hub at `url`. */
  static async connect(url: string, options: HubFabricOptions): Promise<HubFabric> {
    const transport = await transportFor(url);
    // A transport that starts its clients has no URL to dial again: its hub is the parent.
    const reconnect = transport.capabilities.spawnsClients || options.reconnect === false
      ? undefined : resolveReconnect(options.reconnect);
    // A durable transport keeps a session's frames across hub restarts; a new hub has none of
    // the old one's protocol state, so the bus takes back what no hub took and sends it again.
    const conn = await transport.connect(url, reconnect ? { ...options, handBackUnsent: true } : options);
    let redialer: Redialer | undefined;
    const client = await HubClient.open(conn, {
      name: options.name ?? `${process.title}-${process.pid}`, busId: options.busId, transport: schemeOf(url),
      durable: transport.capabilities.durable,
      onLost: (closed) => redialer?.lost(closed) ?? false,
      onResumed: () => redialer?.resumed(),
    });
    const fabric = new HubFabric(url, client);
    redialer = new Redialer(url, client, {
      transport, options: reconnect ? { ...options, handBackUnsent: true } : options, reconnect,
    }, (s) => fabric.#status.next(s));
    fabric.#redialer = redialer;
    // What a dead predecessor of this name published and no hub took (`DurableHandBack.takenBack`).
    client.resendPublishes(handsBack(conn) ? conn.takenBack : []);
    return fabric;
  }

  subscribe(pattern: string, handler: WireHandler, options?: FabricSubscribeOptions): FabricSubscription {
    return this.#client.subscribe(pattern, handler, options);
  }

  publish(message: WireMessage): Promise<void> | undefined {
    const redialer = this.#redialer;
    if (redialer === undefined) return this.#client.publish(message);
    // Client: held during a gap; a publish that meets the loss of the hub begins one.
    if (redialer.holding) return redialer.hold(message);
    try {
      return redialer.accepted(this.#client.publish(message));
    } catch (err) {
      redialer.checkLoss(err);
      return redialer.hold(message);
    }
  }

  /** `publish` of a value and its codec (no replyTo or headers): encoded in place where it can be. */
  publishValue(topic: string, codec: Codec, value: unknown): Promise<void> | undefined {
    const redialer = this.#redialer;
    if (redialer === undefined) return this.#client.publishValue(topic, codec, value);
    if (redialer.holding) return redialer.hold({ topic, codec: codec.id, payload: codec.encode(value) });
    try {
      return redialer.accepted(this.#client.publishValue(topic, codec, value));
    } catch (err) {
      redialer.checkLoss(err);
      return redialer.hold({ topic, codec: codec.id, payload: codec.encode(value) });
    }
  }

  async flush(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    const gap = this.#redialer?.waitForHub(options);
    if (gap) await gap;
    return this.#client.flush(options);
  }

  /**
   * Drain, fabric part: withdraws every subscription from the hub, then waits for the flush
   * barrier, so every message the hub routed to this bus before has been dispatched.
   */
  async drain(options: { timeout?: number } = {}): Promise<void> {
    this.#client.withdrawAll();
    await this.flush(options);
  }

  peers(): PeerDescription[] {
    if (this.#router) return this.#router.peers();
    return this.#redialer?.holding ? [] : this.#client.peers();
  }

  /** Stops reading from the hub (subscriber buffers full, policy `wait`). */
  pause(): void {
    if (this.#router) this.#router.holdInput(1);
    else this.#client.pause();
  }

  resume(): void {
    if (this.#router) this.#router.holdInput(-1);
    else this.#client.resume();
  }

  stats(): FabricStats {
    const c = this.#client.counters;
    const r = this.#router?.counters;
    return {
      sent: c.sent, received: c.received, bytesSent: c.bytesSent, bytesReceived: c.bytesReceived,
      slowConsumers: r?.slowConsumers ?? 0, protocolErrors: r?.protocolErrors ?? 0,
      ...(r ? { oversizeDrops: r.oversizeDrops } : {}), reconnects: this.#redialer?.reconnects ?? 0,
      peers: this.peers().length,
      ...(this.#router && r!.permissionDenied > 0 ? { permissionDenied: r!.permissionDenied } : {}),
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#redialer?.close();
      await this.#client.close();
      if (this.#router) await this.#router.close();
      if (this.#listener) await this.#listener.close();
      this.#status.complete();
    })();
    return this.#closing;
  }
}
