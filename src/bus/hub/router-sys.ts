/**
 * What the hub itself publishes, with the hub as publisher (`hub:<name>`): the `$sys.` topics
 * (`$sys.peers`, `$sys.stats`, msgpack) and the empty no-responders reply (header
 * `STATUS_HEADER: STATUS_NO_RESPONDERS`) a request gets when nobody subscribes to its topic.
 * Apart from the router because it builds frames and never routes: the router routes what
 * this returns like any other PUB.
 * @module
 */
import { msgpackCodec } from '../../codecs/index.js';
import { STATUS_HEADER, STATUS_NO_RESPONDERS } from '../fabric.js';
import type { Pub } from '../protocol/messages.js';
import { PubEncoder } from '../protocol/pub-encoder.js';

export class HubPublisher {
  readonly #publisher: string;
  readonly #encoder: PubEncoder;
  #seq = 0;

  constructor(hubName: string) {
    this.#publisher = `hub:${hubName}`;
    this.#encoder = new PubEncoder(this.#publisher);
  }

  /** The reply that tells a requester nobody serves its topic (sent to its `replyTo`). */
  noResponders(replyTo: string): Uint8Array | Uint8Array[] {
    return this.#encoder.encode(replyTo, 0, 0, new Uint8Array(0), undefined,
      { [STATUS_HEADER]: STATUS_NO_RESPONDERS });
  }

  /** A `$sys.` message carrying `value` (msgpack): its PUB frame and its decoded form, to route. */
  sys(topic: string, value: unknown): { frame: Uint8Array; pub: Pub } {
    const payload = msgpackCodec.encode(value);
    const seq = ++this.#seq;
    const chunks = this.#encoder.encode(topic, msgpackCodec.id, seq, payload, undefined, undefined);
    const frame = chunks instanceof Uint8Array ? chunks : Buffer.concat(chunks);
    return {
      frame,
      pub: { topic, codec: msgpackCodec.id, publisher: this.#publisher, seq, replyTo: undefined, headers: undefined, payload },
    };
  }
}
