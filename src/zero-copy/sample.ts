/**
 * What a loan hands out (`bus.loan()`) and what a zero-copy subscription delivers. Both are
 * Disposable, so `using` gives them back at the end of the block.
 * @module
 */
import { SampleError } from '../errors.js';
import type { Message } from '../bus/types.js';

/** Options of `bus.loan()`. */
export interface LoanOptions {
  /** Gives up waiting for a free slot (AbortedError). */
  readonly signal?: AbortSignal;
  /** ms to wait for a free slot before TimeoutError (default 5000). */
  readonly timeout?: number;
}

/**
 * How a sample is published and given back; one per mechanism (pool or copy). A subclass of
 * {@link Sample} may be its own backend (a pool loan is: one object per loan).
 */
export interface SampleBackend {
  /** Sends the bytes (called once, by `publish()`). */
  sendLoan(): Promise<void>;
  /** Gives the unpublished loan back (called once, by `release()`). */
  returnLoan(): void;
}

/**
 * A loan: `size` writable bytes for one message on `topic`. Write `data`, then `publish()` (the
 * sample then belongs to the bus: `data` throws), or `release()` / dispose to give it back
 * unpublished. On `shm://` the bytes are in shared memory and are never copied again; elsewhere
 * they are an ordinary buffer sent as a `raw` message.
 *
 * @example
 * ```ts
 * const sample = await bus.loan('frames.cam1', 6_220_800, { timeout: 1000 });
 * camera.readInto(sample.data);
 * await sample.publish();
 * ```
 */
export class Sample implements Disposable {
  readonly topic: string;
  readonly size: number;
  #data: Uint8Array | undefined;
  readonly #backend: SampleBackend;
  #state: 'loaned' | 'published' | 'released' = 'loaned';

  /** @internal Made by `bus.loan()`; without `backend`, the subclass made is its own backend. */
  constructor(topic: string, data: Uint8Array, backend?: SampleBackend) {
    this.topic = topic;
    this.size = data.length;
    this.#data = data;
    this.#backend = backend ?? (this as unknown as SampleBackend);
  }

  /** The writable bytes; SampleError once published or released (the memory is no longer yours). */
  get data(): Uint8Array {
    if (this.#data === undefined) throw new SampleError(`data used after the sample was ${this.#state}: topic=${this.topic}`);
    return this.#data;
  }

  /** True until published or released. */
  get loaned(): boolean {
    return this.#state === 'loaned';
  }

  /**
   * Publishes the bytes as one message on `topic`; resolves when accepted (like `bus.publish`).
   * Rejects with SampleError when already published or released.
   */
  publish(): Promise<void> {
    if (this.#state !== 'loaned') return Promise.reject(new SampleError(`publish() of a sample already ${this.#state}: topic=${this.topic}`));
    this.#state = 'published';
    this.#data = undefined;
    return this.#backend.sendLoan();
  }

  /** Gives an unpublished loan back; does nothing after publish() or a first release(). */
  release(): void {
    if (this.#state !== 'loaned') return;
    this.#state = 'released';
    this.#data = undefined;
    this.#backend.returnLoan();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A message of a `zeroCopy` subscription: `data` is a read-only view of the publisher's memory on
 * `shm://` (an ordinary buffer elsewhere). Release it (`using`, `release()`) as soon as you are
 * done: the publisher reuses the slot only when every receiver let go. After release, `data`
 * is zero-length, and a view taken before may show the slot's next sample (never a crash): copy
 * what you keep (`m.data.slice()`).
 */
export interface SampleMessage extends Message<Uint8Array>, Disposable {
  /** Gives the sample back to its publisher; idempotent. */
  release(): void;
  /** False once released (by you, by `maxHold`, or because the connection to the hub ended). */
  readonly held: boolean;
}
