/**
 * A subscription has two views:
 * - an RxJS **Observable** (push, cold: each RxJS subscriber makes its own subscription on the
 *   hub; RxJS has no backpressure, so a slow async observer buffers in its own operators);
 * - an **async iterable** (pull, `for await`): a bounded buffer with an overflow policy. With
 *   `wait` (the default, lossless) a full buffer stops this process reading from the hub, so
 *   publishers wait, for as long as this process keeps reading (the hub's `backpressureGrace`
 *   per drain); past that the hub queues for it up to `maxPendingBytes`, then drops it as a
 *   slow consumer (see README "Slow consumers"). On `nats://` publishers never wait: what
 *   arrives meanwhile waits in this process up to `maxPendingBytes`, then is dropped as a slow
 *   consumer (docs/nats.md "Backpressure").
 *   `drop-oldest` and `drop-newest` never wait; every drop is counted.
 * @module
 */
import { Observable } from '../rx.js';
import type { OverflowPolicy } from './events.js';
import type { Message } from './types.js';

/** Options of `bus.subscribe()`. */
export interface SubscribeOptions {
  /** Queue group: each message goes to one member of the group. */
  queue?: string;
  /** Messages the async iterator buffers (default 1024). */
  bufferSize?: number;
  /** What a full iterator buffer does (default `wait`). */
  overflow?: OverflowPolicy;
  /** Ends the subscription (both views). */
  signal?: AbortSignal;
  /**
   * Messages are disposable byte views (`using m`): of the publisher's shared memory on `shm://`,
   * ordinary buffers elsewhere. See docs/zero-copy.md for what you may do with `m.data`.
   */
  zeroCopy?: boolean;
  /** zeroCopy: ms a message may be held before it is revoked as a slow consumer (default 10000; 0: never). */
  maxHold?: number;
}

/** What a subscription needs from its bus. */
export interface SubscriptionHost {
  /**
   * Starts a hub subscription; returns the function that ends it. `fail` is called when the hub
   * refuses or ends it (its policy refused it, a `LimitError`): the subscription is then over.
   */
  open(pattern: string, queue: string | undefined, deliver: (m: Message) => void, fail?: (err: Error) => void,
    options?: SubscribeOptions): () => void;
  /** A buffer with policy `wait` became full (+1) or has room again (-1). */
  bufferPressure(delta: 1 | -1): void;
  dropped(pattern: string, policy: OverflowPolicy): void;
  /** Registers a callback run when the bus closes (error: the bus lost its hub for good). */
  onEnd(end: (error?: Error) => void): () => void;
}

/** `M`: the message type (a `SampleMessage` for `zeroCopy` subscriptions). */
export class Subscription<D = unknown, M extends Message<D> = Message<D>> extends Observable<M> implements AsyncIterable<M> {
  readonly pattern: string;
  readonly #host: SubscriptionHost;
  readonly #options: SubscribeOptions;

  constructor(host: SubscriptionHost, pattern: string, options: SubscribeOptions = {}) {
    super((subscriber) => {
      const stop = host.open(pattern, options.queue, (m) => subscriber.next(m as M), (err) => subscriber.error(err), options);
      const unEnd = host.onEnd((error) => (error ? subscriber.error(error) : subscriber.complete()));
      const onAbort = (): void => subscriber.complete();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) subscriber.complete();
      return () => {
        stop();
        unEnd();
        options.signal?.removeEventListener('abort', onAbort);
      };
    });
    this.pattern = pattern;
    this.#host = host;
    this.#options = options;
  }

  [Symbol.asyncIterator](): AsyncIterator<M> {
    return new BufferedIterator<D>(this.#host, this.pattern, this.#options) as unknown as AsyncIterator<M>;
  }
}

class BufferedIterator<D> implements AsyncIterator<Message<D>> {
  readonly #host: SubscriptionHost;
  readonly #pattern: string;
  readonly #capacity: number;
  readonly #policy: OverflowPolicy;
  #queue: Message[] = [];
  #head = 0;
  #waiter: { resolve: (r: IteratorResult<Message<D>>) => void; reject: (e: Error) => void } | undefined;
  #done = false;
  #error: Error | undefined;
  #pressing = false;
  readonly #stop: () => void;
  readonly #unEnd: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#finish();

  constructor(host: SubscriptionHost, pattern: string, options: SubscribeOptions) {
    this.#host = host;
    this.#pattern = pattern;
    this.#capacity = options.bufferSize ?? 1024;
    if (!Number.isInteger(this.#capacity) || this.#capacity < 1) {
      throw new RangeError(`bufferSize must be a positive integer: bufferSize=${options.bufferSize}`);
    }
    this.#policy = options.overflow ?? 'wait';
    this.#stop = host.open(pattern, options.queue, (m) => this.#push(m), (err) => this.#finish(err), options);
    this.#unEnd = host.onEnd((error) => this.#finish(error));
    this.#signal = options.signal;
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (this.#signal?.aborted) this.#finish();
  }

  #push(m: Message): void {
    if (this.#done) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w.resolve({ value: m as Message<D>, done: false });
      return;
    }
    const size = this.#queue.length - this.#head;
    if (size >= this.#capacity) {
      if (this.#policy === 'drop-newest') {
        discard(m);
        this.#host.dropped(this.#pattern, this.#policy);
        return;
      }
      if (this.#policy === 'drop-oldest') {
        discard(this.#queue[this.#head]);
        this.#queue[this.#head++] = undefined as never;
        this.#host.dropped(this.#pattern, this.#policy);
      }
      // `wait`: frames already read when the pause began still go in; the buffer overshoots
      // by at most one read batch.
    }
    this.#queue.push(m);
    if (this.#policy === 'wait' && !this.#pressing && size + 1 >= this.#capacity) {
      this.#pressing = true;
      this.#host.bufferPressure(1);
    }
  }

  next(): Promise<IteratorResult<Message<D>>> {
    if (this.#head < this.#queue.length) {
      const m = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as never;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      if (this.#pressing && this.#queue.length - this.#head <= this.#capacity >> 1) this.#release();
      return Promise.resolve({ value: m as Message<D>, done: false });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => { this.#waiter = { resolve, reject }; });
  }

  return(): Promise<IteratorResult<Message<D>>> {
    this.#finish();
    for (let i = this.#head; i < this.#queue.length; i++) discard(this.#queue[i]);
    this.#queue = [];
    this.#head = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  #release(): void {
    if (!this.#pressing) return;
    this.#pressing = false;
    this.#host.bufferPressure(-1);
  }

  #finish(error?: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#error = error;
    this.#stop();
    this.#unEnd();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#release();
    const w = this.#waiter;
    this.#waiter = undefined;
    if (w) {
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }
}

/** A message nobody will see (dropped, or left in a closed iterator): a zero-copy one is given back. */
function discard(m: Message | undefined): void {
  (m as { release?: () => void } | undefined)?.release?.();
}
