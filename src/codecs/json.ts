/** JSON as UTF-8 bytes: readable on the wire and by any language. */
import { CodecError } from '../errors.js';
import { CodecId, type Codec } from './codec.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export const jsonCodec: Codec = {
  id: CodecId.json,
  name: 'json',
  encode(value: unknown): Uint8Array {
    const text = JSON.stringify(value);
    if (text === undefined) throw new CodecError(`JSON cannot encode a value of type ${typeof value}`);
    return encoder.encode(text);
  },
  decode(bytes: Uint8Array): unknown {
    try {
      return JSON.parse(decoder.decode(bytes));
    } catch (err) {
      throw new CodecError(`JSON cannot decode ${bytes.length} bytes: ${(err as Error).message}`, { cause: err });
    }
  },
};
