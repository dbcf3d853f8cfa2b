/**
 * The publishing side of zero-copy on a bus. On `shm://` a loan is a run of blocks in this bus's
 * pool (./pool-writer.ts), made on the first loan and named under the hub's prefix; publish()
 * marks it in flight and sends a descriptor PUB (./descriptor.ts). Everywhere else a loan is a
 * plain buffer sent as one `raw` message, so the same code runs on every scheme.
 * @module
 */
import { rawCodec } from '../codecs/index.js';
import type { WireMessage } from '../bus/fabric.js';
import { ClosedError } from '../errors.js';
import { SAMPLE_CODEC } from './descriptor.js';
import { WaitSet } from '../sync/wait-set.js';
import { POOL_INFIX, poolGeometry } from './pool-layout.js';
import { PoolWriter, type Run } from './pool-writer.js';
import { Sample, type LoanOptions } from './sample.js';

const RESOLVED = Promise.resolve();
/** Default time a loan waits for a free slot (ms). */
export const DEFAULT_LOAN_TIMEOUT = 5000;

/** Where this bus's pools go, when it has any (shm:// only). */
export interface PoolPlace {
  /** The hub's /dev/shm prefix (`unibus-shm.<name>~`). */
  readonly prefix: string;
  readonly poolBytes: number;
  readonly mode: number;
}

export class Loans {
  readonly #publish: (w: WireMessage) => Promise<void> | undefined;
  readonly #place: PoolPlace | undefined;
  readonly #busId: string;
  #writer: PoolWriter | undefined;
  /** Pools of earlier hub connections, closed with the bus. */
  readonly #retired: PoolWriter[] = [];
  #count = 0;
  #closed = false;
  /** Loans waiting for room: woken with ClosedError by close(). */
  readonly #waits = new WaitSet();
  /** Backstop: a loan collected while still loaned goes back to the pool, with a warning. */
  readonly #forgotten = new FinalizationRegistry<() => void>((giveBack) => {
    process.emitWarning('a loaned sample was garbage-collected without publish() or release(): use `using sample` or sample.release()', 'UnibusWarning');
    giveBack();
  });

  constructor(busId: string, place: PoolPlace | undefined, publish: (w: WireMessage) => Promise<void> | undefined) {
    this.#busId = busId;
    this.#place = place;
    this.#publish = publish;
  }

  /**
   * A loan of `size` bytes for `topic` (waits for room in the pool; bounded by timeout and signal).
   * Not async: a loan the pool has room for costs one resolved promise, no wait machinery.
   */
  loan(topic: string, size: number, options: LoanOptions = {}): Promise<Sample> {
    if (this.#closed) return Promise.reject(new ClosedError('bus'));
    if (!Number.isSafeInteger(size) || size < 0) return Promise.reject(new RangeError(`loan size must be a non-negative integer: size=${size}`));
    if (!this.#place) return Promise.resolve(this.#copyLoan(topic, size));
    let writer: PoolWriter;
    try {
      writer = this.#pool();
    } catch (err) {
      return Promise.reject(err);
    }
    if (size > writer.capacity) return Promise.reject(new RangeError(`loan size exceeds the pool: size=${size} pool=${writer.capacity} (raise ?pool=)`));
    const timeout = options.timeout ?? DEFAULT_LOAN_TIMEOUT;
    if (!Number.isFinite(timeout) || timeout < 0) return Promise.reject(new RangeError(`Timeout must be a non-negative number of milliseconds: timeout=${timeout}`));
    if (options.signal?.aborted !== true) {
      const run = writer.take(size);
      if (run) return Promise.resolve(this.#poolLoan(writer, topic, run));
    }
    // Receivers free slots by clearing a bit in shared memory and send nothing, so a loan that
    // finds no room looks again: on the next turns first (a release is often µs away), then every
    // millisecond (a longer backoff idled the publisher while a pool of few large slots drained).
    return this.#waits.retry(`loan of ${size} bytes on ${topic} (pool full)`, () => writer.take(size),
      { signal: options.signal, timeout, minDelay: 1, maxDelay: 1, eagerTurns: 16 })
      .then((run) => this.#poolLoan(writer, topic, run));
  }

  #copyLoan(topic: string, size: number): Sample {
    const data = new Uint8Array(size);
    return new Sample(topic, data, {
      publish: () => this.#publish({ topic, codec: rawCodec.id, payload: data }) ?? RESOLVED,
      release: () => undefined,
    });
  }

  #poolLoan(writer: PoolWriter, topic: string, run: Run): Sample {
    // The backstop's callback must not reach the Sample (it would never be collected).
    let settled = false;
    const giveBack = (): void => {
      if (settled) return;
      settled = true;
      writer.cancel(run);
    };
    const sample = new Sample(topic, writer.bytes(run), {
      publish: () => {
        settled = true;
        this.#forgotten.unregister(giveBack);
        if (this.#closed) return Promise.reject(new ClosedError('bus'));
        writer.publish(run);
        try {
          const d = writer.descriptors.encode(run.block, run.length, run.generation);
          return this.#publish({ topic, codec: SAMPLE_CODEC, payload: d }) ?? RESOLVED;
        } catch (err) {
          writer.unpublish(run);
          return Promise.reject(err);
        }
      },
      release: () => {
        this.#forgotten.unregister(giveBack);
        giveBack();
      },
    });
    this.#forgotten.register(sample, giveBack, giveBack);
    return sample;
  }

  /** This bus's current pool, made on first use. */
  #pool(): PoolWriter {
    if (this.#writer) return this.#writer;
    const place = this.#place!;
    const name = `/${place.prefix}${POOL_INFIX}${this.#busId}.${++this.#count}`;
    this.#writer = new PoolWriter(name, poolGeometry(place.poolBytes), place.mode);
    return this.#writer;
  }

  /**
   * A new hub connection: the hub that knew our pool is gone (and a new hub of the name swept
   * its entries), so the next loan makes a new pool; this one stays mapped for loans in hand.
   */
  reconnected(): void {
    if (!this.#writer) return;
    this.#writer.retire();
    this.#retired.push(this.#writer);
    this.#writer = undefined;
  }

  close(): void {
    this.#closed = true;
    this.#waits.cancelAll(new ClosedError('bus'));
    this.#writer?.close();
    for (const w of this.#retired) w.close();
    this.#writer = undefined;
  }
}
