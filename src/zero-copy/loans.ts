/**
 * The publishing side of zero-copy on a bus. On `shm://` a loan is a run of blocks in this bus's
 * pool (./pool-writer.ts), made on the first loan and named under the hub's prefix; publish()
 * marks it in flight and sends a descriptor PUB (./descriptor.ts), or, once the hub agreed, adds
 * it to this turn's batch for its topic (./batch.ts), sent as one PUB when the turn's microtasks
 * run. Everywhere else a loan is a plain buffer sent as one `raw` message, so the same code runs
 * on every scheme.
 * @module
 */
import { rawCodec } from '../codecs/index.js';
import type { WireMessage } from '../bus/fabric.js';
import type { Codec } from '../codecs/codec.js';
import { ClosedError } from '../errors.js';
import { SAMPLE_CODEC, type RunPlace } from './descriptor.js';
import { MAX_BATCH, type BatchRuns } from './batch.js';
import type { BatchAgreement } from './batch-agreement.js';
import { WaitSet } from '../sync/wait-set.js';
import { POOL_INFIX, poolGeometry, roomTopic } from './pool-layout.js';
import { PoolWriter } from './pool-writer.js';
import { Sample, type LoanOptions, type SampleBackend } from './sample.js';

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
  readonly #publishValue: ((topic: string, codec: Codec, value: unknown) => Promise<void> | undefined) | undefined;
  readonly #place: PoolPlace | undefined;
  readonly #busId: string;
  #writer: PoolWriter | undefined;
  /** Pools of earlier hub connections, closed with the bus. */
  readonly #retired: PoolWriter[] = [];
  #count = 0;
  #closed = false;
  /** Loans waiting for room: woken with ClosedError by close(). */
  readonly #waits = new WaitSet();
  /**
   * Loans made this turn (the backstop is armed for those still loaned when it ends); a loan
   * settled in its turn empties its entry at once. A publisher that never waits makes the whole
   * pool's loans in one turn: kept until the turn ended, 4,096 samples at 64 KiB outlived the
   * young generation and were copied into the old one (page faults, full collections).
   */
  #fresh: Array<PoolLoan | undefined> = [];
  #armQueued = false;
  /**
   * Backstop: a loan collected while still loaned goes back to the pool, with a warning. Its
   * held value names the run (it must not reach the loan itself, or the loan is never collected).
   */
  readonly #forgotten = new FinalizationRegistry<{ writer: PoolWriter; block: number }>((run) => {
    process.emitWarning('a loaned sample was garbage-collected without publish() or release(): use `using sample` or sample.release()', 'UnibusWarning');
    run.writer.cancel(run.block);
  });

  /** Whether the hub takes batches (asked with the first pool); undefined: never batch. */
  readonly #agreement: BatchAgreement | undefined;
  /** The samples published this turn on one topic from one pool, not sent yet (./batch.ts). */
  readonly #batch = new PendingBatch();
  #flushQueued = false;

  /** Subscribes to the notices that a run was freed while a loan waits (made with the first pool). */
  readonly #watchRoom: ((topic: string, onRoom: () => void) => void) | undefined;
  #watchingRoom = false;

  constructor(busId: string, place: PoolPlace | undefined, publish: (w: WireMessage) => Promise<void> | undefined,
    publishValue?: (topic: string, codec: Codec, value: unknown) => Promise<void> | undefined,
    watchRoom?: (topic: string, onRoom: () => void) => void, agreement?: BatchAgreement) {
    this.#busId = busId;
    this.#agreement = agreement;
    this.#place = place;
    this.#publish = publish;
    this.#publishValue = publishValue;
    this.#watchRoom = watchRoom;
  }

  /**
   * A loan of `size` bytes for `topic` (waits for room in the pool; bounded by timeout and signal).
   * Not async: a loan the pool has room for costs one resolved promise, no wait machinery.
   */
  loan(topic: string, size: number, options: LoanOptions = {}): Promise<Sample> {
    let writer: PoolWriter | undefined;
    try {
      writer = this.#writerFor(size);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!writer) return Promise.resolve(this.#copyLoan(topic, size));
    const timeout = options.timeout ?? DEFAULT_LOAN_TIMEOUT;
    if (!Number.isFinite(timeout) || timeout < 0) return Promise.reject(new RangeError(`Timeout must be a non-negative number of milliseconds: timeout=${timeout}`));
    if (options.signal?.aborted !== true) {
      const block = writer.take(size);
      if (block >= 0) return Promise.resolve(this.#poolLoan(writer, topic, block, size));
    }
    const pool = writer;
    // Receivers free slots by clearing a bit in shared memory and send nothing per release, so a
    // loan that finds no room raises the pool's waiting word and looks again: whoever frees a run
    // next sends one notice, which pokes the wait (no 1 ms poll between the last release and the
    // next loan: with 256 samples in flight that poll halved the relayed rate). Without a notice
    // (a peer of earlier code) it looks every millisecond. Not on the next turns first: 16 eager
    // turns were ~17 tries per wait, every one a useless event-loop turn (~1 wait per 1,000 relayed
    // samples at 64 KiB), and CPU taken from the processes that free the slots on 2 cores.
    return this.#waits.retry(`loan of ${size} bytes on ${topic} (pool full)`, () => {
      const block = pool.take(size);
      if (block >= 0) return block;
      pool.wantRoom();
      const again = pool.take(size); // a run freed before the waiting word was raised sends no notice
      return again >= 0 ? again : undefined;
    }, { signal: options.signal, timeout, minDelay: 1, maxDelay: 1 })
      .then((block) => this.#poolLoan(pool, topic, block, size));
  }

  /**
   * A loan now, or undefined when the pool has no free run for `size` bytes now (never waits:
   * no promise, no timer). Throws what loan() rejects with (ClosedError, RangeError).
   */
  tryLoan(topic: string, size: number): Sample | undefined {
    const writer = this.#writerFor(size);
    if (!writer) return this.#copyLoan(topic, size);
    const block = writer.take(size);
    return block >= 0 ? this.#poolLoan(writer, topic, block, size) : undefined;
  }

  /** The pool a loan of `size` comes from (undefined: a copy loan); throws for a closed bus or a bad size. */
  #writerFor(size: number): PoolWriter | undefined {
    if (this.#closed) throw new ClosedError('bus');
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`loan size must be a non-negative integer: size=${size}`);
    if (!this.#place) return undefined;
    const writer = this.#pool();
    if (size > writer.capacity) throw new RangeError(`loan size exceeds the pool: size=${size} pool=${writer.capacity} (raise ?pool=)`);
    return writer;
  }

  #copyLoan(topic: string, size: number): Sample {
    const data = new Uint8Array(size);
    return new Sample(topic, data, {
      sendLoan: () => this.#publish({ topic, codec: rawCodec.id, payload: data }) ?? RESOLVED,
      returnLoan: () => undefined,
    });
  }

  #poolLoan(writer: PoolWriter, topic: string, block: number, size: number): Sample {
    const sample = new PoolLoan(this, writer, topic, block, writer.bytes(block, size));
    // The backstop is armed at the end of the turn for loans still in hand: most are published
    // in the turn they were made, and registering each cost the collector more than the loan.
    sample.freshIndex = this.#fresh.length;
    this.#fresh.push(sample);
    if (!this.#armQueued) {
      this.#armQueued = true;
      setImmediate(this.#arm);
    }
    return sample;
  }

  readonly #arm = (): void => {
    this.#armQueued = false;
    const fresh = this.#fresh;
    this.#fresh = [];
    for (let i = 0; i < fresh.length; i++) {
      const sample = fresh[i];
      if (sample === undefined || !sample.loaned) continue;
      sample.freshIndex = -1;
      sample.registered = true;
      this.#forgotten.register(sample, { writer: sample.writer, block: sample.block }, sample);
    }
  };

  /** @internal A pool loan was published or released: it no longer needs the backstop. */
  settled(sample: PoolLoan): void {
    if (sample.registered) this.#forgotten.unregister(sample);
    else if (sample.freshIndex >= 0) {
      this.#fresh[sample.freshIndex] = undefined;
      sample.freshIndex = -1;
    }
  }

  /** @internal True once the bus closed (a loan in hand can no longer be published). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * @internal Sends a published run's descriptor. Once the hub takes batches, the runs published
   * on one topic from one pool in one turn go as one PUB, sent when the turn's microtasks run (or
   * earlier: a publish of anything else, another topic or pool, a full batch, flush, close), so
   * they keep their order with everything else this bus sends. All of a batch share its promise.
   * A run is marked in flight only when its descriptor is sent: a process killed before its turn
   * ended leaves its batch's runs merely loaned, never published (no bit 0 that nobody clears).
   */
  send(topic: string, writer: PoolWriter, run: RunPlace): Promise<void> {
    if (this.#agreement?.agreed !== true || !this.#publishValue) return this.#sendOne(topic, writer, run);
    const b = this.#batch;
    if (b.count > 0 && (b.topic !== topic || b.writer !== writer || b.count === MAX_BATCH)) this.flushBatch();
    if (b.count === 0) {
      b.topic = topic;
      b.writer = writer;
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flushTurn);
      }
    }
    b.runs[b.count++] = run;
    return b.promise();
  }

  readonly #flushTurn = (): void => {
    this.#flushQueued = false;
    this.flushBatch();
  };

  /** Sends the pending batch now (one sample: an ordinary sample PUB). */
  flushBatch(): void {
    const b = this.#batch;
    const n = b.count;
    if (n === 0) return;
    const writer = b.writer!;
    const settle = b.take();
    if (n === 1) {
      this.#sendOne(b.topic, writer, b.runs[0]!).then(settle.resolve, settle.reject);
      b.clear(n);
      return;
    }
    let sent: Promise<void> | undefined;
    try {
      for (let i = 0; i < n; i++) writer.publish(b.runs[i]!.block);
      sent = this.#publishValue!(b.topic, writer.batches.codec, b);
    } catch (err) {
      for (let i = 0; i < n; i++) writer.unpublish(b.runs[i]!.block);
      b.clear(n);
      settle.reject(err);
      return;
    }
    b.clear(n);
    if (sent === undefined) settle.resolve();
    else sent.then(settle.resolve, settle.reject);
  }

  /** One run as one sample PUB: in flight (holders = bit 0) before its descriptor is sent, given back if the send fails. */
  #sendOne(topic: string, writer: PoolWriter, run: RunPlace): Promise<void> {
    let sent: Promise<void> | undefined;
    try {
      writer.publish(run.block);
      sent = this.#publishValue ? this.#publishValue(topic, writer.descriptors.codec, run)
        : this.#publish({ topic, codec: SAMPLE_CODEC, payload: writer.descriptors.encode(run.block, run.length, run.generation) });
    } catch (err) {
      writer.unpublish(run.block);
      return Promise.reject(err);
    }
    return sent ?? RESOLVED;
  }

  /** This bus's current pool, made on first use. */
  #pool(): PoolWriter {
    if (this.#writer) return this.#writer;
    const place = this.#place!;
    const name = `/${place.prefix}${POOL_INFIX}${this.#busId}.${++this.#count}`;
    this.#writer = new PoolWriter(name, poolGeometry(place.poolBytes), place.mode);
    if (!this.#watchingRoom && this.#watchRoom) {
      // Before the first descriptor is sent: the hub knows the subscription before any receiver
      // can free a run of this pool.
      this.#watchingRoom = true;
      this.#watchRoom(roomTopic(this.#busId), () => this.#waits.poke());
    }
    this.#agreement?.want();
    return this.#writer;
  }

  /**
   * A new hub connection: the hub that knew our pool is gone (and a new hub of the name swept
   * its entries), so the next loan makes a new pool; this one stays mapped for loans in hand.
   */
  reconnected(): void {
    this.flushBatch(); // a batch of the old pool (its samples are refused by the new hub, as single ones were)
    if (!this.#writer) return;
    this.#writer.retire();
    this.#retired.push(this.#writer);
    this.#writer = undefined;
  }

  close(): void {
    this.flushBatch();
    this.#closed = true;
    this.#waits.cancelAll(new ClosedError('bus'));
    this.#writer?.close();
    for (const w of this.#retired) w.close();
    this.#writer = undefined;
  }
}

/**
 * A loan from this bus's pool: the Sample and its backend in one object (a loan was a Sample, a
 * backend and a run: three objects per sample). It is also the descriptor codec's value
 * ({@link RunPlace}: block, length, generation), written straight into the connection.
 */
class PoolLoan extends Sample implements SampleBackend, RunPlace {
  /** Registered with the backstop (a loan still in hand when its turn ended). */
  registered = false;
  /** Its entry in the loans of this turn (-1: none). */
  freshIndex = -1;
  readonly #loans: Loans;
  readonly writer: PoolWriter;
  readonly block: number;
  readonly length: number;
  readonly generation: number;

  constructor(loans: Loans, writer: PoolWriter, topic: string, block: number, data: Uint8Array) {
    super(topic, data);
    this.#loans = loans;
    this.writer = writer;
    this.block = block;
    this.length = data.length;
    this.generation = writer.generationOf(block);
  }

  /** @internal Sample.publish(), once. */
  sendLoan(): Promise<void> {
    this.#loans.settled(this);
    if (this.#loans.closed) return Promise.reject(new ClosedError('bus'));
    return this.#loans.send(this.topic, this.writer, this);
  }

  /** @internal Sample.release(), once: back to the pool unpublished. */
  returnLoan(): void {
    this.#loans.settled(this);
    this.writer.cancel(this.block);
  }
}

/** The batch being gathered: its runs (a reused array) and the promise its publishes share. */
class PendingBatch implements BatchRuns {
  topic = '';
  writer: PoolWriter | undefined;
  readonly runs: Array<RunPlace | undefined> = [];
  count = 0;
  #settle: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;

  /** The promise of this batch's publishes (made by its first). */
  promise(): Promise<void> {
    if (this.#settle) return this.#settle.promise;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    this.#settle = { promise, resolve, reject };
    return promise;
  }

  /** How to settle the batch being sent; the next batch gets a promise of its own. */
  take(): { resolve: () => void; reject: (e: unknown) => void } {
    const s = this.#settle ?? { resolve: () => undefined, reject: () => undefined };
    this.#settle = undefined;
    return s;
  }

  /** Forgets the first `n` runs (no loan kept past its send). */
  clear(n: number): void {
    for (let i = 0; i < n; i++) this.runs[i] = undefined;
    this.count = 0;
    this.writer = undefined;
  }
}
