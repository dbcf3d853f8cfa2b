/**
 * The codecs unibus knows, by name and by wire id.
 *
 * @example
 * ```ts
 * const bus = await Bus.connect('unix:///run/app.sock', { codec: 'json' });
 * ```
 * @module
 */
import { CodecError } from '../errors.js';
import type { Codec } from './codec.js';
import { jsonCodec } from './json.js';
import { msgpackCodec } from './msgpack.js';
import { rawCodec } from './raw.js';

export type { Codec } from './codec.js';
export { CodecId } from './codec.js';
export { jsonCodec, msgpackCodec, rawCodec };

/** Names accepted by the `codec` option. */
export type CodecName = 'msgpack' | 'json' | 'raw';

/** Indexed by wire id (0-255): looked up once per received message. */
const byId: Array<Codec | undefined> = [rawCodec, msgpackCodec, jsonCodec];

/** Registers a user codec (ids 128-255). */
export function registerCodec(codec: Codec): void {
  if (!Number.isInteger(codec.id) || codec.id < 128 || codec.id > 255) {
    throw new RangeError(`user codec ids are 128-255: id=${codec.id}`);
  }
  byId[codec.id] = codec;
}

/** The codec for a wire id; `CodecError` for an unknown id. */
export function codecById(id: number): Codec {
  const codec = byId[id];
  if (!codec) throw new CodecError(`unknown codec id=${id}`);
  return codec;
}

/** Resolves the `codec` option (a name or a Codec object). */
export function resolveCodec(codec: CodecName | Codec | undefined): Codec {
  if (codec === undefined || codec === 'msgpack') return msgpackCodec;
  if (codec === 'json') return jsonCodec;
  if (codec === 'raw') return rawCodec;
  if (typeof codec === 'object' && typeof codec.encode === 'function') {
    if (byId[codec.id] === undefined) registerCodec(codec);
    return codec;
  }
  throw new TypeError(`codec must be 'msgpack', 'json', 'raw' or a Codec: got ${String(codec)}`);
}
