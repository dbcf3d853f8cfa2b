/**
 * Whether this bus and its hub use sample batches (./batch.ts): asked once per connection, by a
 * request on {@link BATCH_TOPIC}, when the bus first makes a pool or subscribes with zeroCopy.
 * Until the answer comes (and forever with a hub of earlier code, which sends none) samples go one
 * per PUB. The hub records the question as this connection's promise to read batches.
 * @module
 */
import type { WireHandler, WireMessage } from '../bus/fabric.js';
import { msgpackCodec } from '../codecs/index.js';
import { BATCH_TOPIC } from './batch.js';

/** msgpack `{}`: the question carries nothing. */
const EMPTY_MAP = new Uint8Array([0x80]);

export interface BatchAgreementHost {
  subscribe(pattern: string, handler: WireHandler): { unsubscribe(): void };
  publish(w: WireMessage): Promise<void> | undefined;
  /** Where the hub answers (`_ZC.<bus id>.batch`). */
  readonly replyTopic: string;
}

export class BatchAgreement {
  readonly #host: BatchAgreementHost;
  #wanted = false;
  #asked = false;
  #inbox: { unsubscribe(): void } | undefined;
  /** The epoch of the connection the question was asked on: an answer of an earlier one means nothing. */
  #epoch = 0;
  #answeredEpoch = -1;

  constructor(host: BatchAgreementHost) {
    this.#host = host;
  }

  /** True once the hub of this connection said it takes and sends batches. */
  get agreed(): boolean {
    return this.#answeredEpoch === this.#epoch;
  }

  /** Asks the hub (once per connection). */
  want(): void {
    this.#wanted = true;
    if (this.#asked) return;
    this.#asked = true;
    const epoch = this.#epoch;
    // The answer is read in order with the frames after it (a fabric subscription).
    this.#inbox ??= this.#host.subscribe(this.#host.replyTopic, (w) => {
      // Only `{ batch: 1 }` agrees: a hub of earlier code answers a request nobody serves with
      // an empty no-responders PUB on the same topic.
      if (isBatchAnswer(w)) this.#answeredEpoch = this.#epoch;
    });
    try {
      this.#host.publish({ topic: BATCH_TOPIC, codec: msgpackCodec.id, payload: EMPTY_MAP, replyTo: this.#host.replyTopic })
        ?.catch(() => { if (this.#epoch === epoch) this.#asked = false; });
    } catch {
      this.#asked = false; // not asked: samples go one per PUB
    }
  }

  /** The connection ended: no batches until the next hub says so. */
  disconnected(): void {
    this.#epoch++;
    this.#asked = false;
  }

  /** A new connection: ask again when this bus asked before. */
  reconnected(): void {
    if (this.#wanted) this.want();
  }

  close(): void {
    this.#inbox?.unsubscribe();
    this.#inbox = undefined;
  }
}

/** True for the hub's `{ batch: 1 }` (codec 1). */
function isBatchAnswer(w: WireMessage): boolean {
  if (w.codec !== msgpackCodec.id) return false;
  try {
    return (msgpackCodec.decode(w.payload) as { batch?: unknown } | null)?.batch === 1;
  } catch {
    return false;
  }
}
