/**
 * How a bus turns a wire message into the `Message` its subscriptions see: decoded by the codec
 * id it carries, checked by the topic's validator, counted; a payload that fails either is a
 * `bad-payload` event, not a message. One decode per message per process, shared by every local
 * subscription it reaches. Apart from ./bus.ts so that the Bus holds its public calls; this is
 * the receive hot path, reached by one method call per message and subscription.
 * @module
 */
import type { Subject } from 'rxjs';
import { codecById } from '../codecs/index.js';
import { CodecError } from '../errors.js';
import type { BusEvent } from './events.js';
import type { WireMessage } from './fabric.js';
import { decodePayload, validatePayload } from './payloads.js';
import type { Message, Validator } from './types.js';

export class MessageDecoder {
  readonly #validators: Record<string, Validator | undefined>;
  readonly #counters: { delivered: number; badPayloads: number };
  readonly #events: Subject<BusEvent>;
  /** The last message decoded and its data: the same wire message reaches each subscription. */
  #lastWire: WireMessage | undefined;
  #lastData: unknown;

  /** `counters` and `events` are the bus's own: this counts and reports into them. */
  constructor(validators: Record<string, Validator | undefined>, counters: { delivered: number; badPayloads: number }, events: Subject<BusEvent>) {
    this.#validators = validators;
    this.#counters = counters;
    this.#events = events;
  }

  /** Decodes and validates `w` (once), then hands it to `deliver`; a bad payload is an event instead. */
  deliver(w: WireMessage, deliver: (m: Message) => void): void {
    let data: unknown;
    if (w === this.#lastWire) data = this.#lastData;
    else {
      try {
        data = decodePayload(codecById(w.codec), w);
        const validator = this.#validators[w.topic];
        if (validator) validatePayload(validator, data, w.topic);
      } catch (err) {
        this.#counters.badPayloads++;
        this.#events.next({ type: 'bad-payload', topic: w.topic, error: err instanceof Error ? err : new CodecError(String(err)) });
        return;
      }
      this.#lastWire = w;
      this.#lastData = data;
    }
    this.#counters.delivered++;
    // One shape for every message (fields may be undefined): keeps the hot path monomorphic.
    deliver({ topic: w.topic, data, headers: w.headers, replyTo: w.replyTo, publisher: w.publisher, seq: w.seq });
  }
}
