/**
 * The publishing side of zero-copy on a bus. On `shm://` a loan is a run of blocks in this bus's
 * pool (./pool-writer.ts), made on the first loan and named under the hub's prefix; publish()
 * marks it in flight and sends a descriptor PUB (./descriptor.ts). Everywhere else a loan is a
 * plain buffer sent as one `raw` message, so the same code runs on every scheme.
 * @module
 */
import { rawCodec } from '../codecs/index.js';
import type { WireMessage } from '../bus/fabric.js';
import type { Codec } from '../codecs/codec.js';
import { ClosedError } from '../errors.js';
import { SAMPLE_CODEC } from './descriptor.js';
import { WaitSet } from '../sync/wait-set.js';
import { POOL_INFIX, poolGeometry, roomTopic } from './pool-layout.js';
import { PoolWriter, type Run } from './pool-writer.js';
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
  #fresh: Array<Sample | undefined> = [];
  #freshBackends: Array<PoolLoan | undefined> = [];
  #armQueued = false;
  /** Backstop: a loan collected while still loaned goes back to the pool, with a warning. */
  readonly #forgotten = new FinalizationRegistry<() => void>((giveBack) => {
    process.emitWarning('a loaned sample was garbage-collected without publish() or release(): use `using sample` or sample.release()', 'UnibusWarning');
    giveBack();
  });

  /** Subscribes to the notices that a run was freed while a loan waits (made with the first pool). */
  readonly #watchRoom: ((topic: string, onRoom: () => void) => void) | undefined;
  #watchingRoom = false;

  constructor(busId: string, place: PoolPlace | undefined, publish: (w: WireMessage) => Promise<void> | undefined,
    publishValue?: (topic: string, codec: Codec, value: unknown) => Promise<void> | undefined,
    watchRoom?: (topic: string, onRoom: () => void) => void) {
    this.#busId = busId;
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
      const run = writer.take(size);
      if (run) return Promise.resolve(this.#poolLoan(writer, topic, run));
    }
    const pool = writer;
    // Receivers free slots by clearing a bit in shared memory and send nothing per release, so a
    // loan that finds no room raises the pool's waiting word and looks again: whoever frees a run
    // next sends one notice, which pokes the wait (no 1 ms poll between the last release and the
    // next loan: with 256 samples in flight that poll halved the relayed rate). Without a notice
    // (a peer of earlier code) it looks on the next turns, then every millisecond.
    return this.#waits.retry(`loan of ${size} bytes on ${topic} (pool full)`, () => {
      const run = pool.take(size);
      if (run) return run;
      pool.wantRoom();
      return pool.take(size); // a run freed before the waiting word was raised sends no notice
    }, { signal: options.signal, timeout, minDelay: 1, maxDelay: 1, eagerTurns: 16 })
      .then((run) => this.#poolLoan(pool, topic, run));
  }

  /**
   * A loan now, or undefined when the pool has no free run for `size` bytes now (never waits:
   * no promise, no timer). Throws what loan() rejects with (ClosedError, RangeError).
   */
  tryLoan(topic: string, size: number): Sample | undefined {
    const writer = this.#writerFor(size);
    if (!writer) return this.#copyLoan(topic, size);
    const run = writer.take(size);
    return run && this.#poolLoan(writer, topic, run);
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
      publish: () => this.#publish({ topic, codec: rawCodec.id, payload: data }) ?? RESOLVED,
      release: () => undefined,
    });
  }

  #poolLoan(writer: PoolWriter, topic: string, run: Run): Sample {
    const backend = new PoolLoan(this, writer, topic, run);
    const sample = new Sample(topic, writer.bytes(run), backend);
    // The backstop is armed at the end of the turn for loans still in hand: most are published
    // in the turn they were made, and registering each cost the collector more than the loan.
    backend.freshIndex = this.#fresh.length;
    this.#fresh.push(sample);
    this.#freshBackends.push(backend);
    if (!this.#armQueued) {
      this.#armQueued = true;
      setImmediate(this.#arm);
    }
    return sample;
  }

  readonly #arm = (): void => {
    this.#armQueued = false;
    const fresh = this.#fresh;
    const backends = this.#freshBackends;
    this.#fresh = [];
    this.#freshBackends = [];
    for (let i = 0; i < fresh.length; i++) {
      const sample = fresh[i];
      if (sample === undefined || !sample.loaned) continue;
      const backend = backends[i]!;
      backend.freshIndex = -1;
      backend.registered = true;
      this.#forgotten.register(sample, () => backend.giveBack(), backend);
    }
  };

  /** @internal A pool loan was published or released: it no longer needs the backstop. */
  settled(backend: PoolLoan): void {
    if (backend.registered) this.#forgotten.unregister(backend);
    else if (backend.freshIndex >= 0) {
      this.#fresh[backend.freshIndex] = undefined;
      this.#freshBackends[backend.freshIndex] = undefined;
      backend.freshIndex = -1;
    }
  }

  /** @internal True once the bus closed (a loan in hand can no longer be published). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * @internal Sends a published run's descriptor: written straight into the connection where
   * the fabric can (no descriptor allocated, no copy), else encoded and sent.
   */
  send(topic: string, writer: PoolWriter, run: Run): Promise<void> | undefined {
    if (this.#publishValue) return this.#publishValue(topic, writer.descriptors.codec, run);
    return this.#publish({ topic, codec: SAMPLE_CODEC, payload: writer.descriptors.encode(run.block, run.length, run.generation) });
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

/** How a pool loan is published or given back (the backstop's callback must not reach the Sample). */
class PoolLoan implements SampleBackend {
  registered = false;
  /** Its entry in the loans of this turn (-1: none). */
  freshIndex = -1;
  #settled = false;
  readonly #loans: Loans;
  readonly #writer: PoolWriter;
  readonly #topic: string;
  readonly #run: Run;

  constructor(loans: Loans, writer: PoolWriter, topic: string, run: Run) {
    this.#loans = loans;
    this.#writer = writer;
    this.#topic = topic;
    this.#run = run;
  }

  publish(): Promise<void> {
    this.#settled = true;
    this.#loans.settled(this);
    if (this.#loans.closed) return Promise.reject(new ClosedError('bus'));
    const run = this.#run;
    let sent: Promise<void> | undefined;
    try {
      this.#writer.publish(run);
      sent = this.#loans.send(this.#topic, this.#writer, run);
    } catch (err) {
      this.#writer.unpublish(run);
      return Promise.reject(err);
    }
    return sent ?? RESOLVED;
  }

  release(): void {
    this.#loans.settled(this);
    this.giveBack();
  }

  /** Back to the pool unpublished (release, or the backstop); once. */
  giveBack(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#writer.cancel(this.#run);
  }
}
