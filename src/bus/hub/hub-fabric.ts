/**
 * HubFabric: the Fabric of every local transport. On the hub side it owns the Listener and the
 * router, and its own bus is a client of that router over an in-process link (so the hub's
 * publishes and subscriptions follow exactly the same path as everyone else's). On a client it
 * is one HubClient over one Connection at a time: when the hub goes away, the client reconnects
 * with backoff and continues on a new connection (see ./reconnect.ts), unless its transport
 * starts its clients (`pipe:`: the hub is the parent) or `reconnect: false`.
 * @module
 */
import { merge, Subject, type Observable } from 'rxjs';
import { ClosedError, DisconnectedError, PeerGoneError } from '../../errors.js';
import { bounded } from '../bounded.js';
import { memoryPair } from '../../transports/memory/memory-transport.js';
import { schemeOf, transportFor } from '../../transports/registry.js';
import type { Closed, Listener, Transport, TransportOptions } from '../../transports/transport.js';
import type { Codec } from '../../codecs/codec.js';
import type {
  Fabric, FabricStats, FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription, WireHandler,
  WireMessage,
} from '../fabric.js';
import { HubClient } from './client.js';
import { backoff, PublishHold, resolveReconnect, type ReconnectOptions, type ResolvedReconnect } from './reconnect.js';
import { HubRouter } from './router.js';
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
  /** Reconnection of a client (default on, with the defaults of `ReconnectOptions`); `false`: off. */
  reconnect?: ReconnectOptions | false;
  /** Hub only: per-user permissions (docs/security.md); other users may then connect. */
  policy?: HubPolicy;
}

/** How a client fabric reaches its hub again. */
interface Redial {
  readonly transport: Transport;
  readonly options: TransportOptions;
  readonly reconnect: ResolvedReconnect | undefined;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

export class HubFabric implements Fabric {
  readonly url: string;
  readonly isHub: boolean;
  readonly status: Observable<FabricStatus>;
  readonly #client: HubClient;
  readonly #router: HubRouter | undefined;
  readonly #listener: Listener | undefined;
  readonly #redial: Redial | undefined;
  readonly #status = new Subject<FabricStatus>();
  #closing: Promise<void> | undefined;
  /** Defined while disconnected and reconnecting: publishes go here. */
  #hold: PublishHold | undefined;
  #reconnected: Deferred | undefined;
  #wake: (() => void) | undefined;
  #gaveUp = false;
  #reconnects = 0;
  /** PUB frames a durable transport handed back when the connection ended: sent first on the next one. */
  #unsent: Uint8Array[] = [];

  private constructor(url: string, client: HubClient, router?: HubRouter, listener?: Listener, redial?: Redial) {
    this.url = url;
    this.isHub = router !== undefined;
    this.#client = client;
    this.#router = router;
    this.#listener = listener;
    this.#redial = redial;
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
      name, transport: transport.scheme, limits, ...(options.policy ? { policy: options.policy } : {}),
      // A spawned child's HELLO waits for its runtime to start, which takes seconds on a loaded
      // machine; the hub owns the child and its exit ends the connection, so waiting costs nothing.
      ...(transport.capabilities.spawnsClients ? { helloTimeout: SPAWNED_HELLO_TIMEOUT } : {}),
    });
    void router.serve(listener);
    // The hub's own bus: frames from our encoder are never rewritten, and same-turn delivery
    // keeps the hub's publishes as quick as a remote client's.
    const [local, remote] = memoryPair(options.maxFrameSize ?? 16 * 1024 * 1024, { immutableFrames: true, sameTurn: true });
    // Its publishes reach the router by reference, in order with its other frames (./local-route.ts).
    const path = new LocalPath(local);
    router.attach(remote, path);
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
    let fabric: HubFabric | undefined;
    const client = await HubClient.open(conn, {
      name: options.name ?? `${process.title}-${process.pid}`, busId: options.busId, transport: schemeOf(url),
      durable: transport.capabilities.durable,
      onLost: (closed) => (fabric ? fabric.#lost(closed) : false),
      onResumed: () => { if (fabric) fabric.#resumed(); },
    });
    fabric = new HubFabric(url, client, undefined, undefined, {
      transport, options: reconnect ? { ...options, handBackUnsent: true } : options, reconnect,
    });
    // What a dead predecessor of this name published and no hub took (`Connection.takenBack`).
    client.resendPublishes(conn.takenBack ?? []);
    return fabric;
  }

  /** The listener, for transports that start their clients (`pipe:`: `listener.spawn`). */
  get listener(): Listener | undefined {
    return this.#listener;
  }

  subscribe(pattern: string, handler: WireHandler, options?: FabricSubscribeOptions): FabricSubscription {
    return this.#client.subscribe(pattern, handler, options);
  }

  publish(message: WireMessage): Promise<void> | undefined {
    if (this.#hold) return this.#hold.hold(message);
    try {
      return this.#accepted(this.#client.publish(message));
    } catch (err) {
      this.#checkLoss(err);
      return this.#hold!.hold(message);
    }
  }

  /** `publish` of a value and its codec (no replyTo or headers): encoded in place where it can be. */
  publishValue(topic: string, codec: Codec, value: unknown): Promise<void> | undefined {
    if (this.#hold) return this.#hold.hold({ topic, codec: codec.id, payload: codec.encode(value) });
    try {
      return this.#accepted(this.#client.publishValue(topic, codec, value));
    } catch (err) {
      this.#checkLoss(err);
      return this.#hold!.hold({ topic, codec: codec.id, payload: codec.encode(value) });
    }
  }

  /** Accepted before a loss: a publisher waiting for room goes on (reconnecting); later ones are held. */
  #accepted(wait: Promise<void> | undefined): Promise<void> | undefined {
    if (wait === undefined || this.#redial?.reconnect === undefined) return wait;
    return wait.catch((err: unknown) => {
      if (!isLoss(err) || this.#gaveUp) throw err;
    });
  }

  /** A publish that failed: rethrows unless it failed on the loss of the hub and a gap begins. */
  #checkLoss(err: unknown): void {
    if (this.#redial?.reconnect === undefined || !isLoss(err)) throw err;
    if (this.#gaveUp) throw new DisconnectedError(`gave up reconnecting to ${this.url}`);
    this.#beginGap();
  }

  async flush(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    const gap = this.#reconnected;
    // The same default as the client's flush (10 s).
    if (gap) await bounded(gap.promise, 'flush (waiting for the hub to come back)', { ...options, timeout: options.timeout ?? 10_000 });
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
    return this.#hold ? [] : this.#client.peers();
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
      ...(r ? { oversizeDrops: r.oversizeDrops } : {}), reconnects: this.#reconnects,
      peers: this.peers().length,
      ...(this.#router && r!.permissionDenied > 0 ? { permissionDenied: r!.permissionDenied } : {}),
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const err = new ClosedError('bus');
      this.#hold?.fail(err);
      this.#hold = undefined;
      this.#reconnected?.reject(err);
      this.#reconnected = undefined;
      this.#wake?.();
      await this.#client.close();
      if (this.#router) await this.#router.close();
      if (this.#listener) await this.#listener.close();
      this.#status.complete();
    })();
    return this.#closing;
  }

  // ---- reconnection ----

  /** The client's connection ended without close(): true when we reconnect. */
  #lost(closed: Closed): boolean {
    if (this.#closing) return false;
    if (this.#redial?.reconnect === undefined || this.#gaveUp) {
      const error = closed.error ?? (closed.reason === 'clean' ? undefined : new PeerGoneError(`lost the hub at ${this.url}`));
      this.#status.next({ type: 'disconnected', url: this.url, reconnecting: false, ...(error ? { error } : {}) });
      return false;
    }
    if (closed.unsent) this.#unsent.push(...closed.unsent);
    this.#beginGap(closed.error);
    return true;
  }

  /**
   * A new hub continued our session (`file://`): the old one died, nothing was lost, nothing is
   * re-sent. Told as a disconnect noticed late and the reconnect, as after any hub restart.
   */
  #resumed(): void {
    if (this.#closing || this.#hold) return;
    this.#reconnects++;
    this.#status.next({ type: 'disconnected', url: this.url, reconnecting: true });
    this.#status.next({ type: 'reconnected', url: this.url });
  }

  #beginGap(error?: Error): void {
    if (this.#hold || this.#closing) return;
    this.#hold = new PublishHold(this.#redial!.reconnect!);
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    promise.catch(() => undefined);
    this.#reconnected = { promise, resolve, reject };
    this.#status.next({ type: 'disconnected', url: this.url, reconnecting: true, ...(error ? { error } : {}) });
    void this.#redialLoop();
  }

  async #redialLoop(): Promise<void> {
    const { transport, options, reconnect } = this.#redial!;
    const r = reconnect!;
    const started = Date.now();
    for (let n = 0; !this.#closing; n++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff(n, r));
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
      this.#wake = undefined;
      if (this.#closing) return;
      try {
        const conn = await transport.connect(this.url, { ...options, connectTimeout: Math.min(options.connectTimeout ?? 5000, 2000) });
        await this.#client.reattach(conn);
        // Subscriptions are re-sent; now what was handed back and what was held, in order,
        // before anything new (a failed attempt may repeat some: at least once).
        this.#client.resendPublishes([...this.#unsent, ...(conn.takenBack ?? [])]);
        this.#unsent = [];
        this.#hold!.replay((m) => { void this.#client.publish(m)?.catch(() => undefined); });
      } catch {
        if (this.#closing) return;
        if (Date.now() - started >= r.giveUpAfter) return this.#giveUp(r);
        continue;
      }
      this.#hold = undefined;
      this.#reconnects++;
      this.#reconnected?.resolve();
      this.#reconnected = undefined;
      this.#status.next({ type: 'reconnected', url: this.url });
      return;
    }
  }

  #giveUp(r: ResolvedReconnect): void {
    this.#gaveUp = true;
    const error = new DisconnectedError(`no hub at ${this.url} for giveUpAfter=${r.giveUpAfter}ms`);
    this.#hold?.fail(error);
    this.#hold = undefined;
    this.#reconnected?.reject(error);
    this.#reconnected = undefined;
    this.#client.abandon(error);
    this.#status.next({ type: 'disconnected', url: this.url, reconnecting: false, error });
  }
}

/** A failed write because the connection is gone (as opposed to a bad frame). */
function isLoss(err: unknown): boolean {
  return err instanceof ClosedError || err instanceof PeerGoneError;
}
