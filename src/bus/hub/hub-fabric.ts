/**
 * HubFabric: the Fabric of every local transport. On the hub side it owns the Listener and the
 * router, and its own bus is a client of that router over an in-process link (so the hub's
 * publishes and subscriptions follow exactly the same path as everyone else's). On a client it
 * is one HubClient over one Connection.
 * @module
 */
import { merge, type Observable } from 'rxjs';
import { memoryPair } from '../../transports/memory/memory-transport.js';
import { schemeOf, transportFor } from '../../transports/registry.js';
import type { Listener, TransportOptions } from '../../transports/transport.js';
import type {
  Fabric, FabricStats, FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription, WireHandler,
  WireMessage,
} from '../fabric.js';
import { HubClient } from './client.js';
import { HubRouter } from './router.js';

export interface HubFabricOptions extends TransportOptions {
  /** Name shown to peers (default: the program name and pid). */
  name?: string;
  /** Unique id of this bus (publisher id on the wire). */
  busId: string;
  /** ms a subscriber may stay full before the hub disconnects it (default 5000). */
  maxStall?: number;
}

export class HubFabric implements Fabric {
  readonly url: string;
  readonly isHub: boolean;
  readonly status: Observable<FabricStatus>;
  readonly #client: HubClient;
  readonly #router: HubRouter | undefined;
  readonly #listener: Listener | undefined;
  #closing: Promise<void> | undefined;

  private constructor(url: string, client: HubClient, router?: HubRouter, listener?: Listener) {
    this.url = url;
    this.isHub = router !== undefined;
    this.#client = client;
    this.#router = router;
    this.#listener = listener;
    this.status = router ? merge(router.status, client.status) : client.status;
  }

  /** Starts a hub on `url` (this process routes for everyone). */
  static async listen(url: string, options: HubFabricOptions): Promise<HubFabric> {
    const transport = await transportFor(url);
    const listener = await transport.listen(url, options);
    const name = options.name ?? `hub-${process.pid}`;
    const router = new HubRouter({
      name, transport: transport.scheme,
      ...(options.maxStall !== undefined ? { maxStall: options.maxStall } : {}),
    });
    void router.serve(listener);
    // The hub's own bus: frames from our encoder are never rewritten, and same-turn delivery
    // keeps the hub's publishes as quick as a remote client's.
    const [local, remote] = memoryPair(options.maxFrameSize ?? 16 * 1024 * 1024, { immutableFrames: true, sameTurn: true });
    let client: HubClient | undefined;
    router.attach(remote, {
      deliver: (pub) => client?.deliver(pub),
      deliverQueued: (pub, sids) => client?.deliverQueued(pub, sids),
    });
    try {
      client = await HubClient.open(local, { name, busId: options.busId, transport: 'local' });
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
    const conn = await transport.connect(url, options);
    const client = await HubClient.open(conn, {
      name: options.name ?? `${process.title}-${process.pid}`, busId: options.busId, transport: schemeOf(url),
    });
    return new HubFabric(url, client);
  }

  /** The listener, for transports that start their clients (`pipe:`: `listener.spawn`). */
  get listener(): Listener | undefined {
    return this.#listener;
  }

  subscribe(pattern: string, handler: WireHandler, options?: FabricSubscribeOptions): FabricSubscription {
    return this.#client.subscribe(pattern, handler, options);
  }

  publish(message: WireMessage): Promise<void> | undefined {
    return this.#client.publish(message);
  }

  flush(options?: { signal?: AbortSignal; timeout?: number }): Promise<void> {
    return this.#client.flush(options);
  }

  peers(): PeerDescription[] {
    return this.#router ? this.#router.peers() : this.#client.peers();
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
      slowConsumers: r?.slowConsumers ?? 0, protocolErrors: r?.protocolErrors ?? 0, reconnects: 0,
      peers: this.peers().length,
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#client.close();
      if (this.#router) await this.#router.close();
      if (this.#listener) await this.#listener.close();
    })();
    return this.#closing;
  }
}
