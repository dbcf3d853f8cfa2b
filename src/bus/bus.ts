/**
 * The Bus: typed topics over any fabric. The same program runs on every transport; only the URL
 * changes (`Bus.connect()` with no URL reads `UNIBUS_URL`).
 *
 * @example
 * ```ts
 * type Topics = { 'orders.created': { id: string; total: number } };
 * await using hub = await Bus.listen<Topics>('unix:///tmp/shop.sock');
 * await using bus = await Bus.connect<Topics>('unix:///tmp/shop.sock');
 * bus.subscribe('orders.*').subscribe((m) => console.log(m.topic, m.data.total));
 * await bus.flush();
 * await hub.publish('orders.created', { id: 'a1', total: 12 });
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Observable } from 'rxjs';
import { Subject } from '../rx.js';
import type * as TypedEmitterModule from 'typed-emitter';
import { codecById, resolveCodec, type Codec } from '../codecs/index.js';
import { ClosedError, InvalidUrlError, PeerGoneError, SlowConsumerError } from '../errors.js';
import type { SpawnClientOptions, SpawnedClient } from '../transports/transport.js';
import type { BusEvent, BusEventListeners, BusStats, OverflowPolicy } from './events.js';
import type { Fabric, PeerDescription, WireMessage } from './fabric.js';
import { openFabric } from './open-fabric.js';
import { answer, RequestTracker } from './requests.js';
import { bounded } from './bounded.js';
import { checkPattern, checkTopic } from './subjects/grammar.js';
import { Subscription, type SubscribeOptions, type SubscriptionHost } from './subscription.js';
import type {
  AnyServices, AnyTopics, CheckedPattern, Message, PatternPayload, PayloadOf, PublishTopic, RequestOf, ResponseOf,
  ServiceMap, ServiceTopic, TopicMap, Validator,
} from './types.js';
import { decodePayload, validatePayload } from './payloads.js';
import { MessageDecoder } from './bus-delivery.js';
import type { BusOptions, DrainOptions, PublishOptions, RequestOptions } from './bus-options.js';
import { BusSamples } from '../zero-copy/bus-samples.js';
import type { LoanOptions, Sample, SampleMessage } from '../zero-copy/sample.js';

export type { BusOptions, DrainOptions, PublishOptions, RequestOptions } from './bus-options.js';

const RESOLVED = Promise.resolve();
/** typed-emitter ships CommonJS typings: its default export is the interface. */
type TypedEmitter<E extends BusEventListeners> = TypedEmitterModule.default<E>;

export class Bus<T extends TopicMap = AnyTopics, S extends ServiceMap = AnyServices> implements AsyncDisposable {
  /** Unique id of this bus (the publisher id on the wire). */
  readonly id: string;
  readonly #fabric: Fabric;
  readonly #codec: Codec;
  readonly #validators: Record<string, Validator | undefined>;
  readonly #events = new Subject<BusEvent>();
  readonly #requests: RequestTracker;
  readonly #ends = new Set<(error?: Error) => void>();
  #pressure = 0;
  #emitter: TypedEmitter<BusEventListeners> | undefined;
  #closing: Promise<void> | undefined;
  #draining: Promise<void> | undefined;
  /** Replies of `serve()` handlers still running (drain waits for them). */
  readonly #serving = new Set<Promise<void>>();
  readonly #counters = { published: 0, delivered: 0, dropped: 0, badPayloads: 0, requests: 0 };
  /** Decodes each received message once for every local subscription (./bus-delivery.ts). */
  readonly #decoder: MessageDecoder;
  /** Loans and zero-copy subscriptions (../zero-copy/bus-samples.ts). */
  readonly #samples: BusSamples;

  /** Events as an Observable: the source of truth for lifecycle and health. */
  readonly events: Observable<BusEvent> = this.#events.asObservable();

  private constructor(id: string, fabric: Fabric, options: BusOptions<T>) {
    this.id = id;
    this.#fabric = fabric;
    this.#codec = resolveCodec(options.codec);
    this.#validators = (options.validators ?? {}) as Record<string, Validator | undefined>;
    this.#requests = new RequestTracker(id);
    this.#decoder = new MessageDecoder(this.#validators, this.#counters, this.#events);
    this.#samples = new BusSamples({
      url: fabric.url, busId: id, events: this.#events, counters: this.#counters,
      publish: (w) => this.#fabric.publish(w),
      publishValue: fabric.publishValue && ((topic, codec, value) => this.#fabric.publishValue!(topic, codec, value)),
      subscribe: (pattern, handler) => this.#fabric.subscribe(pattern, handler),
    });
    fabric.status.subscribe({
      next: (s) => {
        this.#samples.status(s);
        this.#events.next(s);
        // Reconnecting: subscriptions survive. Given up or not reconnecting: they end, with
        // PeerGoneError when the hub died, completing when it closed cleanly.
        if (s.type === 'disconnected' && !s.reconnecting && !this.#closing) {
          this.#end(s.error instanceof SlowConsumerError ? s.error // dropped by the hub: its typed reason
            : s.error ? new PeerGoneError(`lost the hub at ${fabric.url}: ${s.error.message}`) : undefined);
        }
      },
      error: () => undefined,
    });
  }

  /**
   * Starts a hub on `url` and returns its bus (a hub can publish and subscribe too).
   * @example
   * ```ts
   * const hub = await Bus.listen('unix:///tmp/app.sock');
   * ```
   */
  static async listen<T extends TopicMap = AnyTopics, S extends ServiceMap = AnyServices>(
    url?: string, options: BusOptions<T> = {},
  ): Promise<Bus<T, S>> {
    const id = newBusId();
    const target = resolveUrl(url);
    return new Bus<T, S>(id, await openFabric(target, 'listen', { ...options, busId: id }), options);
  }

  /**
   * Connects to the hub at `url` (default: `process.env.UNIBUS_URL`).
   * @example
   * ```ts
   * const bus = await Bus.connect(); // UNIBUS_URL=shm://orders node app.js
   * ```
   */
  static async connect<T extends TopicMap = AnyTopics, S extends ServiceMap = AnyServices>(
    url?: string, options: BusOptions<T> = {},
  ): Promise<Bus<T, S>> {
    const id = newBusId();
    const target = resolveUrl(url);
    return new Bus<T, S>(id, await openFabric(target, 'connect', { ...options, busId: id }), options);
  }

  /** The URL this bus serves or reaches. */
  get url(): string {
    return this.#fabric.url;
  }

  /** True for the bus that routes for others. */
  get isHub(): boolean {
    return this.#fabric.isHub;
  }

  /**
   * Publishes `value` on `topic`. Resolves when accepted locally; waits while the path is full.
   * `value` is encoded (copied) before this returns: the caller may change or reuse it at once,
   * without awaiting (on a hub too: its own payloads of any size are copied, large ones into
   * pooled buffers).
   * On a durable transport (`file://`) it resolves once the message is in the spool, so a
   * process killed right after loses nothing it saw published.
   * Rejects with `InvalidTopicError`, `FrameTooLargeError`, `CodecError`, `ClosedError`.
   */
  publish<K extends PublishTopic<T>>(topic: K, value: PayloadOf<T, K>, options?: PublishOptions): Promise<void> {
    try {
      if (this.#closing) throw new ClosedError('bus');
      checkTopic(topic);
      const validator = this.#validators[topic];
      if (validator) validatePayload(validator, value, topic);
      this.#samples.flushBatch(); // samples published before this message go before it
      if (options === undefined && this.#fabric.publishValue) {
        // The common shape: the fabric encodes the value straight into its transport's buffer.
        const wait = this.#fabric.publishValue(topic, this.#codec, value);
        this.#counters.published++;
        return wait === undefined ? RESOLVED : wait;
      }
      const payload = this.#codec.encode(value);
      const wire: WireMessage = {
        topic, codec: this.#codec.id, payload,
        ...(options?.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
        ...(options?.headers !== undefined ? { headers: options.headers } : {}),
      };
      const wait = this.#fabric.publish(wire);
      this.#counters.published++;
      if (wait === undefined) return RESOLVED;
      return options?.signal ? bounded(wait, `publish to ${topic}`, { signal: options.signal }) : wait;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Lends `size` writable bytes for one message on `topic` (docs/zero-copy.md). On `shm://` they
   * are in this bus's shared-memory pool and subscribers read them in place; elsewhere they are
   * an ordinary buffer sent as a `raw` message. Waits while the pool is full (bounded by
   * `timeout`, default 5000 ms, and `signal`).
   * @example
   * ```ts
   * const sample = await bus.loan('frames.cam1', 6_220_800);
   * sample.data.fill(0x80);
   * await sample.publish();
   * ```
   */
  loan<K extends PublishTopic<T>>(topic: K, size: number, options?: LoanOptions): Promise<Sample> {
    try {
      if (this.#closing) throw new ClosedError('bus');
      checkTopic(topic);
      return this.#samples.loan(topic, size, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * loan() without waiting: a Sample when the pool has a free run now, else undefined (a
   * producer that does not wait per sample pays no promise turn). Elsewhere than `shm://` it
   * always returns one. Throws what loan() rejects with.
   * @example
   * ```ts
   * const s = bus.tryLoan('frames.cam1', 65_536) ?? await bus.loan('frames.cam1', 65_536);
   * s.data.set(frame);
   * void s.publish();
   * ```
   */
  tryLoan<K extends PublishTopic<T>>(topic: K, size: number): Sample | undefined {
    if (this.#closing) throw new ClosedError('bus');
    checkTopic(topic);
    return this.#samples.tryLoan(topic, size);
  }

  /**
   * Messages on topics matching `pattern` (`*` one token, `>` the rest): an Observable, and an
   * async iterable for `for await`. Call `await bus.flush()` to know the hub has the subscription.
   * With `zeroCopy: true` messages are disposable byte views (`using m`; docs/zero-copy.md).
   */
  subscribe<P extends string>(pattern: CheckedPattern<T, P>, options: SubscribeOptions & { zeroCopy: true }): Subscription<Uint8Array, SampleMessage>;
  subscribe<P extends string>(pattern: CheckedPattern<T, P>, options?: SubscribeOptions): Subscription<PatternPayload<T, P>>;
  subscribe<P extends string>(pattern: CheckedPattern<T, P>, options: SubscribeOptions = {}): Subscription<PatternPayload<T, P>> {
    if (this.#closing || this.#draining) throw new ClosedError('bus');
    checkPattern(pattern);
    return new Subscription<PatternPayload<T, P>>(this.#host, pattern, options);
  }

  /**
   * Sends a request and resolves with the reply's data. Fails at once with `NoRespondersError`
   * when nobody serves `topic`, with `TimeoutError` after `timeout`, `AbortedError` on abort.
   */
  async request<K extends ServiceTopic<S>>(topic: K, value: RequestOf<S, K>, options: RequestOptions = {}): Promise<ResponseOf<S, K>> {
    if (this.#closing) throw new ClosedError('bus');
    checkTopic(topic);
    this.#counters.requests++;
    this.#samples.flushBatch();
    const m = await this.#requests.send(this.#fabric, this.#codec, topic, value, options);
    return decodePayload(codecById(m.codec), m) as ResponseOf<S, K>;
  }

  /**
   * Serves requests on `topic`: the handler's result (or resolved promise) is the reply; a
   * thrown error reaches the requester as `RequestFailedError`. Several servers with the same
   * `queue` share the load. Returns a handle whose `close()` stops serving.
   */
  serve<K extends ServiceTopic<S>>(
    topic: K,
    handler: (request: RequestOf<S, K>, message: Message<RequestOf<S, K>>) => ResponseOf<S, K> | Promise<ResponseOf<S, K>>,
    options: { queue?: string } = {},
  ): { close(): void } & Disposable {
    if (this.#closing || this.#draining) throw new ClosedError('bus');
    checkPattern(topic);
    const stop = this.#host.open(topic, options.queue, (m) => {
      const replyTo = m.replyTo;
      if (replyTo === undefined) return;
      const serving: Promise<void> = answer(this.#fabric, this.#codec, replyTo,
        () => handler(m.data as RequestOf<S, K>, m as Message<RequestOf<S, K>>))
        .finally(() => this.#serving.delete(serving));
      this.#serving.add(serving);
    });
    return { close: stop, [Symbol.dispose]: stop };
  }

  /** Resolves when the hub has processed everything this bus sent before the call. */
  flush(options?: { signal?: AbortSignal; timeout?: number }): Promise<void> {
    if (this.#closing) return Promise.reject(new ClosedError('bus'));
    this.#samples.flushBatch();
    return this.#fabric.flush(options);
  }

  /** Who is connected. */
  peers(): PeerDescription[] {
    return this.#fabric.peers();
  }

  stats(): BusStats {
    return { ...this.#fabric.stats(), ...this.#counters };
  }

  /**
   * Starts a child connected to this hub on inherited descriptors (only for transports that
   * start their clients, such as `pipe:`).
   */
  spawn(command: string, args: readonly string[] = [], options?: SpawnClientOptions): SpawnedClient {
    const spawn = this.#fabric.spawn;
    if (!spawn) throw new InvalidUrlError(this.url, 'this transport does not start its clients (spawn)');
    return spawn(command, args, options);
  }

  /** Typed-emitter view of `events`. */
  on<E extends keyof BusEventListeners>(type: E, listener: BusEventListeners[E]): this {
    if (!this.#emitter) {
      const emitter = new EventEmitter() as unknown as TypedEmitter<BusEventListeners>;
      this.#events.subscribe((e) => (emitter.emit as (t: string, e: BusEvent) => boolean)(e.type, e));
      this.#emitter = emitter;
    }
    this.#emitter.on(type, listener);
    return this;
  }

  /**
   * Closes gracefully: no new subscriptions; every message routed to this bus before its
   * subscriptions were withdrawn reaches its handler (or iterator buffer); running `serve()`
   * handlers reply; what was published is flushed; then it closes. `close()` is the fast path.
   * @example `process.on('SIGTERM', () => void bus.drain());`
   */
  drain(options: DrainOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#draining ??= (async () => {
      const timeout = options.timeout ?? 10_000;
      try {
        this.#samples.flushBatch();
        await this.#fabric.drain({ timeout });
        while (this.#serving.size > 0) await Promise.allSettled([...this.#serving]);
        await this.#fabric.flush({ timeout });
      } finally {
        await this.close();
      }
    })();
    return this.#draining;
  }

  /** Closes the bus: flushes what was accepted, ends every subscription, releases everything. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#requests.rejectAll(new ClosedError('bus'));
      this.#end();
      this.#samples.flushBatch();
      this.#samples.closeReceiving();
      await this.#fabric.close();
      this.#samples.close();
      this.#events.complete();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #end(error?: Error): void {
    const ends = [...this.#ends];
    this.#ends.clear();
    for (const end of ends) end(error);
  }

  readonly #host: SubscriptionHost = {
    open: (pattern, queue, deliver, fail, options) => {
      const handler = options?.zeroCopy || this.#fabric.url.startsWith('shm:')
        ? this.#samples.handler(options ?? {}, (w, d) => this.#decoder.deliver(w, d), deliver)
        : (w: WireMessage) => this.#decoder.deliver(w, deliver);
      const sub = this.#fabric.subscribe(pattern, handler, {
        ...(queue === undefined ? {} : { queue }), ...(fail ? { onError: fail } : {}),
      });
      return () => sub.unsubscribe();
    },
    bufferPressure: (delta) => {
      const before = this.#pressure;
      this.#pressure += delta;
      if (before === 0 && this.#pressure > 0) this.#fabric.pause();
      else if (before > 0 && this.#pressure === 0) this.#fabric.resume();
    },
    dropped: (pattern: string, policy: OverflowPolicy) => {
      this.#counters.dropped++;
      this.#events.next({ type: 'dropped', pattern, policy, count: this.#counters.dropped });
    },
    onEnd: (end) => {
      this.#ends.add(end);
      return () => this.#ends.delete(end);
    },
  };
}

function newBusId(): string {
  return `${process.pid.toString(36)}${randomBytes(5).toString('hex')}`;
}

function resolveUrl(url: string | undefined): string {
  const target = url ?? process.env.UNIBUS_URL;
  if (!target) throw new InvalidUrlError('', 'no URL given and UNIBUS_URL is not set');
  return target;
}
