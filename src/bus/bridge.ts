/**
 * The bridge: local processes talk over fast IPC, and only chosen topics cross to another
 * fabric (typically NATS, to reach other machines) and back.
 *
 * - `export` patterns: messages published locally are republished on the remote fabric;
 *   `import` patterns: remote messages are republished locally. Payload bytes, codec id,
 *   publisher id, sequence and headers are forwarded untouched (nothing is decoded).
 * - No loops, no duplicates: every message the bridge republishes carries the header
 *   `unibus-bridge: <bridge id>`. A message with that header (from any bridge) is never
 *   exported; a remote message marked with this bridge's own id (its own export coming back
 *   through an overlapping import pattern) is never imported. So with one bridge per machine,
 *   a message crosses each bridge at most once.
 * - Requests cross too: a forwarded message's reply subject is replaced by one of the bridge's
 *   own (`_UNIBUS_BRIDGE.<id>.<n>` on the far side), and the replies, including the
 *   no-responders notice, are carried back to the original reply subject. Such a route lives
 *   until its first reply or `replyTtl`, at most `maxReplyRoutes` at once (oldest dropped).
 * - Delivery is as good as the two fabrics: at most once across a NATS failover.
 *
 * @example
 * ```ts
 * const bridge = await Bridge.open('unix:///run/app.sock', 'nats://nats.internal:4222', {
 *   export: ['orders.>'], import: ['prices.*'],
 * });
 * // ... later
 * await bridge.close();
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { PeerGoneError } from '../errors.js';
import type { Fabric, FabricSubscription, WireHandler, WireMessage } from './fabric.js';
import { openFabric } from './open-fabric.js';
import { checkPattern } from './subjects/grammar.js';

/** Header that marks a message a bridge republished; its value is the bridge's id. */
export const BRIDGE_HEADER = 'unibus-bridge';
/** Prefix of the reply subjects a bridge makes for requests it forwards. */
export const BRIDGE_REPLY_PREFIX = '_UNIBUS_BRIDGE';

export interface BridgeOptions {
  /** Patterns whose local messages go to the remote fabric. */
  readonly export?: readonly string[];
  /** Patterns whose remote messages come to the local fabric. */
  readonly import?: readonly string[];
  /** This bridge's id (default: random); must be one subject token. */
  readonly id?: string;
  /** ms a forwarded request's reply route lives without a reply (default 60 000). */
  readonly replyTtl?: number;
  /** Reply routes kept at once; the oldest is dropped past it (default 10 000). */
  readonly maxReplyRoutes?: number;
}

/** Counters of a bridge. */
export interface BridgeStats {
  readonly exported: number;
  readonly imported: number;
  /** Messages not forwarded because a bridge had already carried them. */
  readonly skipped: number;
  /** Replies carried back to a requester. */
  readonly replies: number;
  /** Forwards the target fabric refused (closed, too large, disconnected too long). */
  readonly failed: number;
}

type Side = 'local' | 'remote';
interface Route { readonly to: Side; readonly replyTo: string; readonly expires: number }

export class Bridge {
  readonly id: string;
  /**
   * Resolves with the reason once either side is lost for good (its hub is gone, or NATS gave
   * up reconnecting); the bridge then forwards nothing more. NATS reconnects do not count.
   */
  readonly lost: Promise<Error>;
  readonly #fabrics: Record<Side, Fabric>;
  readonly #owned: boolean;
  readonly #subs: FabricSubscription[] = [];
  readonly #routes = new Map<string, Route>();
  readonly #ttl: number;
  readonly #maxRoutes: number;
  readonly #sweeper: NodeJS.Timeout;
  #next = 1;
  #closed = false;
  #stats = { exported: 0, imported: 0, skipped: 0, replies: 0, failed: 0 };

  /**
   * Opens both fabrics by URL and bridges them. The local side connects to its hub, or serves
   * as the hub with `listen: true`.
   */
  static async open(localUrl: string, remoteUrl: string, options: BridgeOptions & { listen?: boolean; name?: string } = {}): Promise<Bridge> {
    const busId = `bridge${randomBytes(5).toString('hex')}`;
    const common = { busId, name: options.name ?? `unibus-bridge-${process.pid}` };
    const local = await openFabric(localUrl, options.listen ? 'listen' : 'connect', common);
    let remote: Fabric;
    try {
      remote = await openFabric(remoteUrl, 'connect', common);
    } catch (err) {
      await local.close();
      throw err;
    }
    const bridge = new Bridge(local, remote, options, true);
    try {
      await Promise.all([local.flush({ timeout: 10_000 }), remote.flush({ timeout: 10_000 })]);
    } catch (err) {
      await bridge.close();
      throw err;
    }
    return bridge;
  }

  /** Bridges two open fabrics; `close()` leaves them open. */
  static between(local: Fabric, remote: Fabric, options: BridgeOptions = {}): Bridge {
    return new Bridge(local, remote, options, false);
  }

  private constructor(local: Fabric, remote: Fabric, options: BridgeOptions, owned: boolean) {
    this.id = options.id ?? randomBytes(6).toString('hex');
    if (!/^[A-Za-z0-9_-]+$/.test(this.id)) throw new TypeError(`bridge id must be one subject token: got ${JSON.stringify(this.id)}`);
    const exports = options.export ?? [];
    const imports = options.import ?? [];
    for (const p of [...exports, ...imports]) checkPattern(p);
    if (exports.length + imports.length === 0) throw new TypeError('a bridge needs at least one export or import pattern');
    this.#fabrics = { local, remote };
    this.#owned = owned;
    this.#ttl = options.replyTtl ?? 60_000;
    this.#maxRoutes = options.maxReplyRoutes ?? 10_000;
    const replies = `${BRIDGE_REPLY_PREFIX}.${this.id}.*`;
    this.#subs.push(
      ...exports.map((p) => local.subscribe(p, this.#forward('remote'))),
      ...imports.map((p) => remote.subscribe(p, this.#forward('local'))),
      local.subscribe(replies, this.#reply),
      remote.subscribe(replies, this.#reply),
    );
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(this.#ttl, 5000)).unref();
    this.lost = new Promise((resolve) => {
      for (const side of ['local', 'remote'] as const) {
        this.#fabrics[side].status.subscribe((st) => {
          if (st.type === 'disconnected' && !st.reconnecting && !this.#closed) {
            resolve(new PeerGoneError(`bridge lost its ${side} side ${this.#fabrics[side].url}${st.error ? `: ${st.error.message}` : ''}`));
          }
        });
      }
    });
  }

  stats(): BridgeStats {
    return { ...this.#stats };
  }

  /** Resolves when both fabrics have processed everything forwarded so far. */
  async flush(options?: { timeout?: number; signal?: AbortSignal }): Promise<void> {
    await Promise.all([this.#fabrics.local.flush(options), this.#fabrics.remote.flush(options)]);
  }

  /** Stops forwarding; closes the fabrics when the bridge opened them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    this.#routes.clear();
    if (this.#owned) await Promise.allSettled([this.#fabrics.local.close(), this.#fabrics.remote.close()]);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A handler that carries messages to side `to`. */
  #forward(to: Side): WireHandler {
    return (m) => {
      if (this.#closed || m.topic.startsWith(`${BRIDGE_REPLY_PREFIX}.`)) return;
      // `$sys.` messages describe one hub (its peers, its supervisor): never carried to another.
      if (m.topic.startsWith('$sys.')) return;
      const mark = m.headers?.[BRIDGE_HEADER];
      // Never re-export what a bridge brought in; never import our own export back.
      if (mark !== undefined && (to === 'remote' || mark === this.id)) {
        this.#stats.skipped++;
        return;
      }
      // Field by field: a received message's payload may be a getter (InPlaceWireMessage), which a spread drops.
      const out: WireMessage = { ...copyOf(m), headers: { ...m.headers, [BRIDGE_HEADER]: this.id } };
      if (m.replyTo !== undefined) (out as { replyTo?: string }).replyTo = this.#route(to === 'remote' ? 'local' : 'remote', m.replyTo);
      if (to === 'remote') this.#stats.exported++;
      else this.#stats.imported++;
      this.#send(to, out);
    };
  }

  /** Replies arriving on our reply subjects go back to the requester's side. */
  readonly #reply: WireHandler = (m) => {
    const route = this.#routes.get(m.topic);
    if (route === undefined || this.#closed) return;
    this.#routes.delete(m.topic);
    this.#stats.replies++;
    const { replyTo: _drop, ...rest } = copyOf(m);
    this.#send(route.to, { ...rest, topic: route.replyTo, headers: { ...m.headers, [BRIDGE_HEADER]: this.id } });
  };

  /** Makes a reply subject on the far side that routes back to `replyTo` on side `back`. */
  #route(back: Side, replyTo: string): string {
    const subject = `${BRIDGE_REPLY_PREFIX}.${this.id}.${this.#next++}`;
    if (this.#routes.size >= this.#maxRoutes) this.#routes.delete(this.#routes.keys().next().value!);
    this.#routes.set(subject, { to: back, replyTo, expires: Date.now() + this.#ttl });
    return subject;
  }

  #sweep(): void {
    const now = Date.now();
    for (const [subject, route] of this.#routes) {
      if (route.expires > now) break; // insertion order is expiry order
      this.#routes.delete(subject);
    }
  }

  #send(to: Side, message: WireMessage): void {
    let wait: Promise<void> | undefined;
    try {
      wait = this.#fabrics[to].publish(message);
    } catch {
      this.#stats.failed++;
      return;
    }
    wait?.catch(() => { this.#stats.failed++; });
  }
}

/** A plain copy of a wire message's fields (getters included). */
function copyOf(m: WireMessage): WireMessage {
  return {
    topic: m.topic, codec: m.codec, payload: m.payload,
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.headers !== undefined ? { headers: m.headers } : {}),
    ...(m.publisher !== undefined ? { publisher: m.publisher } : {}),
    ...(m.seq !== undefined ? { seq: m.seq } : {}),
  };
}
