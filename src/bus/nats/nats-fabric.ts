/**
 * NatsFabric: the Fabric seam over NATS. The NATS server routes; topics are subjects, queue
 * groups are NATS queue groups, requests use NATS reply subjects, and payloads travel as the
 * codec's bytes with the codec id in a header (see ./encoding.ts and docs/nats.md), so plain
 * NATS clients interoperate.
 *
 * The NATS client (`@nats-io/transport-node`) is imported on first connect, so programs that
 * only use local transports never load it.
 *
 * Guarantees and limits:
 * - Per publisher and subject, order is kept (NATS keeps it per connection).
 * - `publish()` is bounded twice: at most `maxPendingBytes` sent but not yet confirmed by the
 *   server (a PING/PONG), and at most `reconnectBufferSize` held while disconnected. Past
 *   either bound it returns a promise that waits; a wait while disconnected gives up after
 *   `maxStall` with {@link DisconnectedError}, and the message is not accepted.
 * - Messages held while disconnected are sent, in order, once reconnected. Messages already
 *   handed to the socket when a server dies may be lost (NATS core is at-most-once).
 * - `pause()` (a Bus iterator with `overflow: 'wait'` is full) holds received messages in this
 *   process, up to `maxPausedBytes`; past it they are dropped and reported as `slow-consumer`
 *   (./delivery-gate.ts says why the socket is not paused instead). NATS publishers never wait
 *   for subscribers.
 * - `status` reports `disconnected` / `reconnected` / `slow-consumer` / `error`.
 * @module
 */
import type { Observable } from 'rxjs';
import { Subject } from '../../rx.js';
import type { MsgHdrs, NatsConnection, Status, Subscription } from '@nats-io/transport-node';
import {
  ClosedError, DisconnectedError, FrameTooLargeError, InvalidTopicError, UnibusError,
} from '../../errors.js';
import type {
  Fabric, FabricStatus, FabricSubscribeOptions, FabricSubscription, PeerDescription,
  WireHandler, WireMessage,
} from '../fabric.js';
import { bounded } from '../bounded.js';
import { fromNatsMsg, toNatsHeaders } from './encoding.js';
import { resolveLimits, type Limits, type NatsFabricOptions, type NatsFabricStats } from './options.js';
import { parseNatsUrl } from './url.js';
import { loadLib, type Lib } from './lib.js';
import { NatsPublishQueue } from './publish-queue.js';
import { DeliveryGate, type GateTarget } from './delivery-gate.js';
import { InFlightBudget } from './in-flight.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Rough per-message overhead of the NATS protocol line, counted into byte budgets. */
const OVERHEAD = 64;

/**
 * A Fabric whose routing is done by NATS servers.
 *
 * @example
 * ```ts
 * const fabric = await NatsFabric.connect('nats://127.0.0.1:4222');
 * fabric.subscribe('sensor.*.temp', (m) => console.log(m.topic, m.payload));
 * fabric.publish({ topic: 'sensor.kitchen.temp', codec: 2, payload: new TextEncoder().encode('21.5') });
 * await fabric.flush();
 * await fabric.close();
 * ```
 */
export class NatsFabric implements Fabric {
  readonly url: string;
  readonly isHub = false;
  readonly status: Observable<FabricStatus>;

  readonly #lib: Lib;
  readonly #nc: NatsConnection;
  readonly #opts: Limits;
  readonly #status = new Subject<FabricStatus>();
  readonly #subs = new Map<number, Subscription>();
  readonly #makeHeaders: () => MsgHdrs;
  #nextId = 1;
  #closed = false;
  #connected = true;
  /** Held while disconnected, and publishers waiting for room (FIFO, after the held ones). */
  readonly #queue: NatsPublishQueue;
  /** Received messages wait here while the Bus has paused this fabric (`overflow: 'wait'`). */
  readonly #gate: DeliveryGate;
  /** Sent but not yet confirmed by a PONG. */
  readonly #inFlight: InFlightBudget;
  #reconnected: Promise<void> | undefined;
  #resolveReconnected: (() => void) | undefined;
  /** Counters kept here; `held`, `paused` and `droppedWhilePaused` are read from their owners. */
  #stats: Mutable<Omit<NatsFabricStats, 'paused' | 'droppedWhilePaused'>> = {
    sent: 0, received: 0, bytesSent: 0, bytesReceived: 0, slowConsumers: 0, protocolErrors: 0,
    reconnects: 0, peers: 0, held: 0, droppedOnClose: 0,
  };

  /**
   * Connects to the servers a `nats://` URL names; rejects with {@link DisconnectedError} when
   * none answers within `connectTimeout`.
   */
  static async connect(url: string, options: NatsFabricOptions = {}): Promise<NatsFabric> {
    const parsed = parseNatsUrl(url);
    const limits = resolveLimits(options, parsed.foreignCodec);
    const lib = await loadLib();
    const nc = await lib.connect({
      servers: parsed.servers,
      name: options.name ?? parsed.name ?? 'unibus',
      ...(parsed.user !== undefined ? { user: parsed.user, pass: parsed.pass } : {}),
      ...(parsed.token !== undefined ? { token: parsed.token } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
      noRandomize: !(options.randomize ?? parsed.randomize ?? true),
      reconnect: true,
      maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
      reconnectTimeWait: options.reconnectTimeWait ?? 250,
      reconnectJitter: 100,
      timeout: options.connectTimeout ?? 5000,
    }).catch((err: unknown) => {
      throw Object.assign(new DisconnectedError(`cannot reach NATS at ${parsed.servers.join(',')}: ${(err as Error).message}`), { cause: err });
    });
    return new NatsFabric(url, lib, nc, limits);
  }

  private constructor(url: string, lib: Lib, nc: NatsConnection, limits: Limits) {
    this.url = url;
    this.#lib = lib;
    this.#nc = nc;
    this.#makeHeaders = () => lib.headers();
    this.#opts = limits;
    this.#queue = new NatsPublishQueue(limits.reconnectBufferSize, limits.maxStall);
    this.#inFlight = new InFlightBudget(limits.maxPendingBytes, () => nc.flush(), () => !this.#closed && this.#connected);
    this.#gate = new DeliveryGate(limits.maxPausedBytes, (detail) => {
      this.#stats.slowConsumers += 1;
      this.#status.next({ type: 'slow-consumer', detail });
    });
    this.status = this.#status.asObservable();
    this.#stats.peers = 1;
    void this.#watchStatus();
    void nc.closed().then((err) => this.#lost(err));
  }

  /** The server this fabric is connected to now (`host:port`). */
  get server(): string {
    return this.#nc.getServer();
  }

  subscribe(pattern: string, handler: WireHandler, options: FabricSubscribeOptions = {}): FabricSubscription {
    if (this.#closed) throw new ClosedError('nats fabric');
    const id = this.#nextId++;
    const foreign = this.#opts.foreignCodec;
    const target: GateTarget & { live: boolean } = {
      live: true,
      handle: (message) => {
        try {
          handler(message);
        } catch (error) {
          this.#status.next({ type: 'error', error: error as Error });
        }
      },
    };
    let sub: Subscription;
    try {
      sub = this.#nc.subscribe(pattern, {
        ...(options.queue !== undefined ? { queue: options.queue } : {}),
        callback: (err, msg) => {
          if (err) {
            this.#stats.protocolErrors += 1;
            this.#status.next({ type: 'error', error: err });
            return;
          }
          this.#stats.received += 1;
          this.#stats.bytesReceived += msg.data.byteLength;
          this.#gate.pass(target, fromNatsMsg(msg, foreign), msg.data.byteLength + msg.subject.length + OVERHEAD);
        },
      });
    } catch (err) {
      throw this.#mapError(err, pattern);
    }
    this.#subs.set(id, sub);
    return {
      id,
      pattern,
      unsubscribe: () => {
        target.live = false;
        const s = this.#subs.get(id);
        if (s === undefined) return;
        this.#subs.delete(id);
        if (!this.#nc.isClosed()) s.unsubscribe();
      },
    };
  }

  publish(message: WireMessage): Promise<void> | undefined {
    if (this.#closed) return Promise.reject(new ClosedError('nats fabric'));
    const size = message.payload.byteLength + message.topic.length + OVERHEAD;
    const max = Math.min(this.#nc.info?.max_payload ?? Infinity, this.#opts.maxFrameSize);
    if (message.payload.byteLength > max) {
      return Promise.reject(new FrameTooLargeError(message.payload.byteLength, max));
    }
    if (!this.#connected || this.#queue.waiting) return this.#queue.hold(message, size, this.#connected);
    try {
      this.#send(message, size);
    } catch (err) {
      return Promise.reject(this.#mapError(err, message.topic));
    }
    return this.#inFlight.afterSend();
  }

  async flush(options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    if (this.#closed) throw new ClosedError('nats fabric');
    const work = (async () => {
      while (!this.#closed && (!this.#connected || this.#queue.waiting)) {
        // Disconnected: wait for the reconnect; replaying: let the replay run a turn.
        await (this.#reconnected ?? new Promise((resolve) => setImmediate(resolve)));
      }
      if (this.#closed) throw new ClosedError('nats fabric');
      await this.#nc.flush();
    })();
    await bounded(work, 'flush', options);
  }

  /**
   * Drain, fabric part: each subscription drains natively (the server stops sending, pending
   * messages reach their handlers, after those held while paused), then a flush.
   */
  async drain(options: { timeout?: number } = {}): Promise<void> {
    if (this.#closed) throw new ClosedError('nats fabric');
    const subs = [...this.#subs.values()];
    this.#subs.clear();
    const drained = Promise.all(subs.map((s) => s.drain())).then(() => this.#gate.whenEmpty()).then(() => this.#nc.flush());
    await bounded(drained, 'drain', options);
  }

  /** Holds received messages in this process until `resume()` (the Bus's `overflow: 'wait'`). */
  pause(): void {
    this.#gate.pause();
  }

  resume(): void {
    this.#gate.resume();
  }

  peers(): PeerDescription[] {
    const info = this.#nc.info;
    if (!this.#connected || info === undefined) return [];
    return [{ id: info.server_id, name: info.server_name, transport: 'nats' }];
  }

  stats(): NatsFabricStats {
    return {
      ...this.#stats, held: this.#queue.held, peers: this.#connected ? 1 : 0,
      paused: this.#gate.size, droppedWhilePaused: this.#gate.dropped,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#connected && !this.#queue.waiting) {
      await bounded(this.#nc.flush(), 'flush before close', { timeout: this.#opts.closeTimeout }).catch(() => undefined);
    }
    this.#stats.droppedOnClose += this.#queue.failAll(new ClosedError('nats fabric'));
    this.#subs.clear();
    this.#gate.clear();
    await this.#nc.close().catch(() => undefined);
    this.#resolveReconnected?.();
    this.#status.complete();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---- sending ----

  #send(message: WireMessage, size: number): void {
    const headers = toNatsHeaders(message, this.#makeHeaders);
    if (headers === undefined && message.replyTo === undefined) this.#nc.publish(message.topic, message.payload);
    else {
      this.#nc.publish(message.topic, message.payload, {
        ...(headers !== undefined ? { headers } : {}),
        ...(message.replyTo !== undefined ? { reply: message.replyTo } : {}),
      });
    }
    this.#stats.sent += 1;
    this.#stats.bytesSent += message.payload.byteLength;
    this.#inFlight.add(size);
  }

  /** After a reconnect: sends what was held, then the waiting publishers' messages, in order. */
  async #replay(): Promise<void> {
    for (const { message, size } of this.#queue.takeHeld()) this.#trySend(message, size);
    while (this.#queue.waiting && this.#connected && !this.#closed) {
      const w = this.#queue.nextWaiter()!;
      this.#trySend(w.message, w.size);
      w.resolve();
      if (this.#inFlight.full) await this.#inFlight.settled();
    }
    if (this.#connected) this.#inFlight.confirm();
  }

  #trySend(message: WireMessage, size: number): void {
    try {
      this.#send(message, size);
    } catch (err) {
      this.#status.next({ type: 'error', error: this.#mapError(err, message.topic) });
    }
  }

  // ---- connection state ----

  async #watchStatus(): Promise<void> {
    for await (const s of this.#nc.status()) this.#onStatus(s);
  }

  #onStatus(s: Status): void {
    switch (s.type) {
      case 'disconnect':
        if (!this.#connected || this.#closed) return;
        this.#connected = false;
        this.#reconnected = new Promise((resolve) => { this.#resolveReconnected = resolve; });
        // Subscriptions survive: the client re-subscribes on the server it reconnects to.
        this.#status.next({ type: 'disconnected', url: `nats://${s.server}`, reconnecting: true });
        return;
      case 'reconnect':
        if (this.#closed) return;
        this.#connected = true;
        this.#stats.reconnects += 1;
        this.#resolveReconnected?.();
        this.#reconnected = undefined;
        this.#status.next({ type: 'reconnected', url: `nats://${s.server}` });
        void this.#replay();
        return;
      case 'slowConsumer':
        this.#stats.slowConsumers += 1;
        this.#status.next({ type: 'slow-consumer', detail: `subscription ${s.sub.getSubject()} has ${s.pending} pending` });
        return;
      case 'error':
        this.#stats.protocolErrors += 1;
        this.#status.next({ type: 'error', error: s.error });
        return;
      default:
        // ping, reconnecting, update, ldm, staleConnection (a disconnect follows), close.
        return;
    }
  }

  /** The client closed by itself (gave up reconnecting): fail every wait, end the status stream. */
  #lost(err: void | Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    const error = new DisconnectedError(`NATS connection closed${err ? `: ${err.message}` : ''}`);
    this.#stats.droppedOnClose += this.#queue.failAll(error);
    this.#resolveReconnected?.();
    this.#status.next({ type: 'error', error });
    this.#status.next({ type: 'disconnected', url: this.url, error });
    this.#status.complete();
  }

  #mapError(err: unknown, subject: string): Error {
    if (err instanceof UnibusError) return err;
    const e = err as Error;
    if (e instanceof this.#lib.InvalidSubjectError) return new InvalidTopicError(subject, e.message);
    if (e instanceof this.#lib.ClosedConnectionError) return new ClosedError('nats fabric');
    if (e instanceof this.#lib.InvalidArgumentError) return new TypeError(e.message, { cause: e });
    return e;
  }
}
