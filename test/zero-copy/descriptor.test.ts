/**
 * Sample descriptors read by hand (src/zero-copy/descriptor.ts) agree with msgpack for every
 * integer form a peer may send, and refuse what is not a descriptor. Pure functions: no watchdog
 * needed beyond the runner's.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { decodeDescriptor, DescriptorWriter, encodeDescriptor } from '../../src/zero-copy/descriptor.js';
import { ProtocolError } from '../../src/errors.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const NAME = '/unibus-shm.h~pool.abc.1';

test('every msgpack integer form of block, length and generation reads back the same', () => {
  const values = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32 - 1];
  const generations = [0, 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), 2 ** 31 - 1, 5000];
  for (const block of values) {
    for (const generation of generations) {
      const d = { pool: NAME, block, length: values[(block % 7) + 1]!, generation };
      assert.equal(decodeDescriptor(encodeDescriptor(d)), d);
    }
  }
});

test('the writer\'s fixed-width form reads back, negative generations included', () => {
  const w = new DescriptorWriter(NAME);
  for (const [block, length, generation] of [[0, 0, 0], [4095, 65536, -1], [12, 2 ** 32 - 1, -(2 ** 31)], [7, 1, 2 ** 31 - 1]] as const) {
    assert.equal(decodeDescriptor(w.encode(block, length, generation)), { pool: NAME, block, length, generation });
  }
});

test('cut, padded and malformed descriptors are ProtocolErrors, never data', () => {
  const good = new DescriptorWriter(NAME).encode(3, 65536, 9);
  for (let cut = 0; cut < good.length; cut++) {
    assert.throws(() => decodeDescriptor(good.subarray(0, cut)), (e: unknown) => e instanceof ProtocolError, `cut at ${cut}`);
  }
  const padded = new Uint8Array(good.length + 1);
  padded.set(good);
  assert.throws(() => decodeDescriptor(padded), (e: unknown) => e instanceof ProtocolError);
  for (const bad of [[NAME, -1, 5, 0], [NAME, 1, -5, 0], [NAME, 1.5, 5, 0], [7, 1, 5, 0], { pool: NAME }]) {
    assert.throws(() => decodeDescriptor(packr.pack(bad)), (e: unknown) => e instanceof ProtocolError, JSON.stringify(bad));
  }
});

test.run();
