/**
 * Zero-copy for one Bus: its loans (./loans.ts) and its receiving side (./receiver.ts), wired to
 * the bus's fabric and events. The Bus calls this from a few lines; on every scheme but `shm://`
 * loans are copies and zero-copy subscriptions get ordinary messages with a no-op release.
 * @module
 */
import type { Subject } from 'rxjs';
import type { BusEvent } from '../bus/events.js';
import type { FabricStatus, WireHandler, WireMessage } from '../bus/fabric.js';
import type { Message } from '../bus/types.js';
import type { Codec } from '../codecs/codec.js';
import { ShmNames, parseShmUrl } from '../transports/shm/options.js';
import { InvalidUrlError } from '../errors.js';
import { parseSize } from '../transports/shared/url.js';
import { DEFAULT_POOL_BYTES } from './pool-layout.js';
import { Loans, type PoolPlace } from './loans.js';
import { copiedSampleMessage, DEFAULT_MAX_HOLD, isSample, SampleReceiver } from './receiver.js';
import type { LoanOptions, Sample } from './sample.js';
import { BatchAgreement } from './batch-agreement.js';

export interface BusSamplesHost {
  readonly url: string;
  readonly busId: string;
  publish(w: WireMessage): Promise<void> | undefined;
  /** The fabric's in-place publish, where it has one (a descriptor is then written straight into the connection). */
  readonly publishValue?: ((topic: string, codec: Codec, value: unknown) => Promise<void> | undefined) | undefined;
  subscribe(pattern: string, handler: WireHandler): { unsubscribe(): void };
  readonly events: Subject<BusEvent>;
  readonly counters: { delivered: number; badPayloads: number };
}

/** Zero-copy options of `subscribe()`. */
export interface ZeroCopySubscribeOptions {
  /** Messages are disposable views of the publisher's memory (on shm://; elsewhere copies). */
  zeroCopy?: boolean;
  /** ms a zero-copy message may be held before it is revoked as a slow consumer (default 10000; 0: never). */
  maxHold?: number;
}

export class BusSamples {
  readonly #loans: Loans;
  readonly #receiver: SampleReceiver | undefined;
  readonly #agreement: BatchAgreement | undefined;

  constructor(host: BusSamplesHost) {
    const place = poolPlace(host.url);
    this.#agreement = place && new BatchAgreement({
      subscribe: (pattern, handler) => host.subscribe(pattern, handler),
      publish: (w) => host.publish(w),
      replyTopic: `_ZC.${host.busId}.batch`,
    });
    this.#loans = new Loans(host.busId, place, (w) => host.publish(w), host.publishValue,
      (topic, onRoom) => { host.subscribe(topic, () => onRoom()); }, this.#agreement);
    this.#receiver = place && new SampleReceiver({
      subscribe: (pattern, handler) => host.subscribe(pattern, handler),
      publish: (w) => host.publish(w),
      replyTopic: `_ZC.${host.busId}.lane`,
      events: host.events,
      counters: host.counters,
      expect: { uid: process.getuid?.(), mode: place.mode },
      agreement: this.#agreement!,
    });
  }

  loan(topic: string, size: number, options?: LoanOptions): Promise<Sample> {
    return this.#loans.loan(topic, size, options);
  }

  tryLoan(topic: string, size: number): Sample | undefined {
    return this.#loans.tryLoan(topic, size);
  }

  /**
   * The wire handler of one subscription: samples go to the receiver, everything else to
   * `plain` (a zero-copy subscription's ordinary messages are made disposable).
   */
  handler(options: ZeroCopySubscribeOptions, plain: (w: WireMessage, deliver: (m: Message) => void) => void,
    deliver: (m: Message) => void): WireHandler {
    const zeroCopy = options.zeroCopy === true;
    const maxHold = options.maxHold ?? DEFAULT_MAX_HOLD;
    if (!Number.isFinite(maxHold) || maxHold < 0) throw new RangeError(`maxHold must be a non-negative number of ms: maxHold=${maxHold}`);
    const receiver = this.#receiver;
    if (zeroCopy) receiver?.wantLane();
    const ordinary = zeroCopy ? (m: Message): void => deliver(copiedSampleMessage(m)) : deliver;
    if (!receiver) return (w) => plain(w, ordinary);
    const wanted = { zeroCopy, maxHold };
    return (w) => (isSample(w) ? receiver.deliver(w, wanted, deliver) : plain(w, ordinary));
  }

  /**
   * Sends the samples published this turn and not sent yet (./loans.ts): the bus calls it before
   * it sends anything else, so a sample and an ordinary message keep the order they were published in.
   */
  flushBatch(): void {
    this.#loans.flushBatch();
  }

  /** Fabric status: a lost connection revokes what is held; a new one makes a new pool. */
  status(s: FabricStatus): void {
    if (s.type === 'disconnected') {
      this.#loans.flushBatch(); // sent (or refused) as a batch: the next hub may be of earlier code
      this.#agreement?.disconnected();
      this.#receiver?.disconnected();
    } else if (s.type === 'reconnected') {
      this.#loans.reconnected();
      this.#receiver?.reconnected();
      this.#agreement?.reconnected();
    }
  }

  /**
   * Before the connection closes: gives back what is held (clearing our bits is only safe while
   * our lane is still ours; afterwards the hub clears them and may hand the lane on).
   */
  closeReceiving(): void {
    this.#receiver?.close();
  }

  /** After the connection closed (everything published was flushed): pools go. */
  close(): void {
    this.#receiver?.close();
    this.#loans.close();
    this.#agreement?.close();
  }
}

/** The /dev/shm prefix publishers' pools of a hub on `url` are named under (shm:// only). */
export function poolPrefixOf(url: string): string | undefined {
  return url.startsWith('shm:') ? new ShmNames(parseShmUrl(url).name).prefix : undefined;
}

/** Where pools go for `url`: shm:// only (`?pool=` sizes them). */
function poolPlace(url: string): PoolPlace | undefined {
  if (!url.startsWith('shm:')) return undefined;
  const o = parseShmUrl(url);
  const q = new URL(url).searchParams.get('pool');
  const poolBytes = q === null ? DEFAULT_POOL_BYTES : parseSize(q, url, 'pool');
  if (poolBytes < 65536) throw new InvalidUrlError(url, `pool must be at least 64KiB (got pool=${q})`);
  return { prefix: new ShmNames(o.name).prefix, poolBytes, mode: o.mode };
}
