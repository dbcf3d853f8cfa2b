/**
 * Zero-copy frames as the hub and a receiver read them: a PUB whose codec is a sample (127) or a
 * sample batch (126, src/zero-copy/batch.ts) has its payload read as a descriptor or a batch.
 * Differential for batches: whatever the hand-written reader accepts, msgpackr must read as the
 * same pool and integers. Typed rejections: ProtocolError (a frame or payload that is not one).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { decodeFrame, toPub, type Pub } from '../../../src/bus/protocol/messages.js';
import { decodePubFast } from '../../../src/bus/protocol/pub-decoder.js';
import { PubEncoder } from '../../../src/bus/protocol/pub-encoder.js';
import { ProtocolError } from '../../../src/errors.js';
import { BatchRead, BatchWriter, readBatchOf, SAMPLE_BATCH_CODEC } from '../../../src/zero-copy/batch.js';
import { DescriptorWriter, readDescriptorOf, SAMPLE_CODEC } from '../../../src/zero-copy/descriptor.js';
import { bytesInput, expect, instanceOfAny, type FuzzTarget } from '../target.js';

const packr = new Packr({ useRecords: false, moreTypes: false });
const poolName = fc.oneof(fc.constantFrom('/unibus-shm.h~pool.b1.1', '/unibus-shm.a-long-hub-name~pool.bus0123456789.42'), fc.string({ maxLength: 60 }));
const run = fc.record({
  block: fc.oneof(fc.nat(4096), fc.constant(2 ** 32 - 1)),
  length: fc.oneof(fc.nat(1 << 20), fc.constant(2 ** 32 - 1)),
  generation: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
});

/** A batch payload: as the publisher writes it (fixed width) or as another writer might (any msgpack integers). */
const batchPayload: fc.Arbitrary<Uint8Array> = fc.tuple(poolName, fc.array(run, { minLength: 1, maxLength: 20 }), fc.boolean())
  .filter(([pool]) => new TextEncoder().encode(pool).length <= 255)
  .map(([pool, runs, fixed]) => (fixed
    ? new BatchWriter(pool).codec.encode({ runs, count: runs.length })
    : packr.pack([pool, ...runs.flatMap((r) => [r.block, r.length, r.generation])])));

const descriptorPayload: fc.Arbitrary<Uint8Array> = fc.tuple(poolName, run)
  .filter(([pool]) => new TextEncoder().encode(pool).length <= 255)
  .map(([pool, r]) => new DescriptorWriter(pool).encode(r.block, r.length, r.generation));

function frameOf(codec: number, payload: Uint8Array): Uint8Array {
  const out = new PubEncoder('zcpub').encode('z.frames', codec, 7, payload, undefined, undefined);
  return out instanceof Uint8Array ? out.slice() : Buffer.concat(out);
}

const sampleFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  batchPayload.map((p) => frameOf(SAMPLE_BATCH_CODEC, p)),
  descriptorPayload.map((p) => frameOf(SAMPLE_CODEC, p)),
);

/** What the router (and a receiver) does with a sample frame: read the PUB, then its descriptors. */
function readSampleFrame(frame: Uint8Array): void {
  const pub: Pub = decodePubFast(frame) ?? toPub(decodeFrame(frame));
  if (pub.codec === SAMPLE_CODEC) {
    readDescriptorOf(pub);
    return;
  }
  if (pub.codec !== SAMPLE_BATCH_CODEC) return;
  const b = readBatchOf(pub, new BatchRead());
  expect(b.count >= 1, 'a batch read with no sample');
  // Differential: msgpackr reads the same values.
  const general = packr.unpack(pub.payload) as unknown[];
  expect(Array.isArray(general) && general.length === 1 + 3 * b.count && general[0] === b.pool, 'batch pool or count disagrees with msgpackr');
  for (let i = 0; i < b.count; i++) {
    expect(general[1 + 3 * i] === b.blocks[i] && general[2 + 3 * i] === b.lengths[i] && ((general[3 + 3 * i] as number) | 0) === b.generations[i],
      `batch sample ${i} disagrees with msgpackr`);
    expect(b.blocks[i]! >= 0 && b.lengths[i]! >= 0, `batch sample ${i} has a negative block or length`);
  }
}

export const sampleFrames: FuzzTarget<Uint8Array> = {
  name: 'protocol.sample-frames',
  input: bytesInput(sampleFrame, 600),
  run: readSampleFrame,
  typed: instanceOfAny(ProtocolError),
};
