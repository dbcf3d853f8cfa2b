/** The raw codec: bytes in, the same bytes out; strings as UTF-8; anything else refused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rawCodec } from '../../src/codecs/raw.js';
import { CodecError } from '../../src/errors.js';

test('encode copies: changing the array after publishing changes nothing already encoded', () => {
  const value = new Uint8Array([1, 2, 3]);
  const encoded = rawCodec.encode(value);
  value.fill(9);
  assert.equal([...encoded], [1, 2, 3]);
});

test('in place: sizeOf and encodeInto write the bytes as they are', () => {
  const value = new Uint8Array([4, 5, 6, 7]);
  assert.is(rawCodec.sizeOf!(value), 4);
  assert.is(rawCodec.sizeOf!({}), -1);
  const out = new Uint8Array(6);
  rawCodec.encodeInto!(value, out, 1);
  assert.equal([...out], [0, 4, 5, 6, 7, 0]);
});

test('strings are UTF-8; other values are a CodecError', () => {
  assert.equal([...rawCodec.encode('é')], [0xc3, 0xa9]);
  assert.throws(() => rawCodec.encode(42), (e: unknown) => e instanceof CodecError);
});

test.run();
