/**
 * Raw bytes: payloads are `Uint8Array`s passed through untouched. `encode` copies (a transport
 * may hold the bytes until the end of the turn, and the caller may change its array as soon as
 * `publish()` returns); a copy on decode is not needed: received frames are owned.
 */
import { CodecError } from '../errors.js';
import { CodecId, type Codec } from './codec.js';

export const rawCodec: Codec = {
  id: CodecId.raw,
  name: 'raw',
  encode(value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return value.slice();
    if (typeof value === 'string') return new TextEncoder().encode(value);
    throw new CodecError('the raw codec takes Uint8Array or string values');
  },
  sizeOf(value: unknown): number {
    return value instanceof Uint8Array ? value.length : -1;
  },
  encodeInto(value: unknown, out: Uint8Array, at: number): void {
    out.set(value as Uint8Array, at);
  },
  decode(bytes: Uint8Array): unknown {
    return bytes;
  },
};
