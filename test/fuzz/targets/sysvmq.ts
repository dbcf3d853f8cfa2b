/** sysvmq control messages (INFO, HELLO, WELCOME): decoders return a value or null, never throw. */
import fc from 'fast-check';
import { decodeHello, decodeInfo, decodeWelcome, encodeHello, encodeInfo, encodeWelcome } from '../../../src/transports/sysvmq/wire.js';
import { bytesInput, expect, type FuzzTarget } from '../target.js';

const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const endpoint = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });

const info = fc.record({ hubPid: u32, wakeQueue: i32, endpoint, livenessPath: fc.string({ maxLength: 60 }) });
const hello = fc.record({ pid: fc.integer({ min: 1, max: 2 ** 32 - 1 }), uid: u32, wakeQueue: fc.integer({ min: 0, max: 2 ** 31 - 1 }), maxFrameSize: u32, endpoint });
const welcome = fc.record({ c2h: i32, h2c: i32, maxFrameSize: u32, hubEndpoint: endpoint, hubPid: u32 });

const valid = fc.oneof(info.map(encodeInfo), hello.map(encodeHello), welcome.map(encodeWelcome));

export const sysvmqMessages: FuzzTarget<Uint8Array> = {
  name: 'sysvmq.control-messages',
  input: bytesInput(valid.map((b) => new Uint8Array(b)), 120),
  run(bytes) {
    // Each decoder sees every message: a queue may hold anything its owner's uid wrote.
    const i = decodeInfo(bytes);
    if (i) expect(Buffer.from(encodeInfo(i)).equals(Buffer.from(bytes)) || i.livenessPath.includes('\ufffd'), 'INFO does not re-encode to itself');
    const h = decodeHello(bytes);
    if (h) expect(h.pid > 0 && h.wakeQueue >= 0 && Number.isSafeInteger(h.endpoint) && h.endpoint >= 1, 'HELLO checks');
    decodeWelcome(bytes);
  },
  typed: () => false,
};

export const sysvmqRoundTrip: FuzzTarget<[typeof info extends fc.Arbitrary<infer I> ? I : never, typeof hello extends fc.Arbitrary<infer H> ? H : never, typeof welcome extends fc.Arbitrary<infer W> ? W : never]> = {
  name: 'sysvmq.round-trip',
  input: fc.tuple(info, hello, welcome),
  run([i, h, w]) {
    expect(JSON.stringify(decodeInfo(encodeInfo(i))) === JSON.stringify({ ...i, livenessPath: Buffer.from(i.livenessPath).toString() }), 'INFO round trip');
    expect(JSON.stringify(decodeHello(encodeHello(h))) === JSON.stringify(h), 'HELLO round trip');
    expect(JSON.stringify(decodeWelcome(encodeWelcome(w))) === JSON.stringify(w), 'WELCOME round trip');
  },
  typed: () => false,
};
