/** Payload decoding and validation, with errors that name the topic. */
import type { Codec } from '../codecs/index.js';
import { CodecError } from '../errors.js';
import type { Validator } from './types.js';
import { isInPlace, type WireMessage } from './fabric.js';

/** The data of a received message: read in place from its frame where the codec can. */
export function decodePayload(codec: Codec, w: WireMessage): unknown {
  try {
    return codec.decodeAt !== undefined && isInPlace(w)
      ? codec.decodeAt(w.frame, w.payloadStart, w.payloadEnd)
      : codec.decode(w.payload);
  } catch (err) {
    throw new CodecError(`cannot decode the payload of topic=${w.topic} with codec=${codec.name}`, { cause: err });
  }
}

/** Throws `CodecError` when `value` fails the topic's validator (Standard Schema or predicate). */
export function validatePayload(validator: Validator, value: unknown, topic: string): void {
  if (typeof validator === 'function') {
    if (!validator(value)) throw new CodecError(`payload of topic=${topic} failed its validator`);
    return;
  }
  const result = validator['~standard'].validate(value);
  if (result instanceof Promise) throw new TypeError(`validator of topic=${topic} is asynchronous; only synchronous validators are supported`);
  const issues = (result as { issues?: ReadonlyArray<{ message: string }> }).issues;
  if (issues && issues.length > 0) {
    throw new CodecError(`payload of topic=${topic} failed its validator: ${issues.map((i) => i.message).join('; ')}`);
  }
}
