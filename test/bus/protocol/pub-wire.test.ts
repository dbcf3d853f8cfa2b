/**
 * PUB frames on the wire are the msgpack array docs/protocol.md describes, byte for byte what
 * msgpackr writes for `[4, topic, codec, publisher, seq, replyTo, headers, payload]`, whichever
 * way the sender hands them to a real connection: written in place (unix:// socket batch), in
 * the encoder's scratch slab (memory://, or a frame too large for the batch), or as chunks.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { jsonCodec, msgpackCodec, rawCodec, registerCodec, type Codec } from '../../../src/codecs/index.js';
import { PubSender } from '../../../src/bus/hub/pub-sender.js';
import { encodeQpubHeader } from '../../../src/bus/protocol/messages.js';
import { copyBytes, PubEncoder } from '../../../src/bus/protocol/pub-encoder.js';
import { PubDecoder } from '../../../src/bus/protocol/pub-decoder.js';
import { memoryTransport } from '../../../src/transports/memory/memory-transport.js';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection, Transport } from '../../../src/transports/transport.js';
import { uniqueName } from '../../helpers/run-id.js';
import { until, within } from '../../helpers/watchdog.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const PUBLISHER = `p-${'q'.repeat(40)}`; // a str 8, not a fixstr
/** Sizes on both sides of each bin header change, the inline limit and a socket batch's 16 KiB. */
const SIZES = [0, 1, 255, 256, 1024, 1025, 16_000, 17_000, 65_535, 65_536, 200_000];
const TOPICS = ['a.b', 't'.repeat(31), 't'.repeat(32), 't'.repeat(300)];

/** A user codec with an id past 127 (a uint 8 on the wire) and an in-place form. */
const userCodec: Codec = {
  id: 200, name: 'user-bytes',
  encode: (v) => (v as Uint8Array).slice(), decode: (b) => b,
  sizeOf: (v) => (v instanceof Uint8Array ? v.length : -1),
  encodeInto: (v, out, at) => out.set(v as Uint8Array, at),
};
registerCodec(userCodec);

function bytes(n: number, salt: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + salt) & 0xff;
  return b;
}

interface Sent { topic: string; codec: Codec; value: unknown; replyTo?: string; headers?: Record<string, string> }

/** Every shape of publish, in order. */
function messages(): Sent[] {
  const out: Sent[] = [];
  let salt = 0;
  for (const size of SIZES) {
    for (const codec of [rawCodec, msgpackCodec, userCodec]) out.push({ topic: TOPICS[salt % TOPICS.length]!, codec, value: bytes(size, salt++) });
    // Values the codec must encode first (no in-place form): a map, through msgpackr and JSON.
    out.push({ topic: 'obj', codec: msgpackCodec, value: { id: salt++, text: 'x'.repeat(size) } });
    out.push({ topic: 'obj', codec: jsonCodec, value: { id: salt++, text: 'y'.repeat(size) } });
    out.push({ topic: 'rr', codec: msgpackCodec, value: bytes(size, salt++), replyTo: '_inbox.1', headers: { k: 'v' } });
  }
  return out;
}

function expected(m: Sent, seq: number): number[] {
  const payload = m.codec.encode(m.value);
  return [...packr.pack([4, m.topic, m.codec.id, PUBLISHER, seq, m.replyTo ?? null, m.headers ?? null, payload])];
}

/** Publishes every message from a fresh sender on a real connection of `transport`; the frames received. */
async function sendAll(transport: Transport, url: string, sent: Sent[]): Promise<Uint8Array[]> {
  const listener = await transport.listen(url, { maxFrameSize: 1 << 20 });
  const accepted = listener[Symbol.asyncIterator]();
  const frames: Uint8Array[] = [];
  try {
    const client = await transport.connect(url, { maxFrameSize: 1 << 20 });
    const server = (await within(10_000, 'accept', accepted.next())).value as Connection;
    server.consume((f) => { frames.push(f.slice()); });
    const sender = new PubSender(PUBLISHER, { sent: 0, bytesSent: 0 });
    for (const m of sent) {
      const wait = m.replyTo === undefined
        ? sender.publishValue(client, client.maxFrameSize, m.topic, m.codec, m.value)
        : sender.publish(client, client.maxFrameSize, { topic: m.topic, codec: m.codec.id, payload: m.codec.encode(m.value), replyTo: m.replyTo, headers: m.headers });
      if (wait) await within(10_000, 'room to publish', wait);
    }
    await until('every frame received', () => frames.length >= sent.length || undefined, 20_000);
    await client.close();
  } finally {
    await listener.close();
  }
  return frames;
}

for (const [name, transport, url] of [
  ['memory:// (no in-place writing)', memoryTransport, () => `memory://${uniqueName('pubwire')}`],
  ['unix:// (in place in the socket batch)', unixTransport, () => `unix:///tmp/${uniqueName('pubwire')}.sock`],
] as const) {
  test(`PUB frames over ${name} are byte for byte the documented msgpack array`, async () => {
    const sent = messages();
    const frames = await sendAll(transport, url(), sent);
    assert.is(frames.length, sent.length);
    for (let i = 0; i < sent.length; i++) {
      const m = sent[i]!;
      assert.equal([...frames[i]!], expected(m, i + 1), `message ${i}: ${m.codec.name} ${m.topic.length}-char topic`);
    }
  });
}

test('encode(): seq in every uint form (float64 past 2^32), replyTo and headers, as msgpackr writes them', () => {
  const enc = new PubEncoder(PUBLISHER);
  for (const seq of [1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1]) {
    for (const [replyTo, headers] of [[undefined, undefined], ['_inbox.x', { a: '1', b: '2' }]] as const) {
      const payload = bytes(seq % 2000, seq);
      const out = enc.encode('a.b', 200, seq, payload, replyTo, headers);
      const whole = out instanceof Uint8Array ? [...out] : [...out[0]!, ...out[1]!];
      assert.equal(whole, [...packr.pack([4, 'a.b', 200, PUBLISHER, seq, replyTo ?? null, headers ?? null, payload])], `seq=${seq}`);
    }
  }
});

test('writeValueFrame on a fresh encoder, topics and codecs changing, writes the documented array', () => {
  const enc = new PubEncoder(PUBLISHER);
  const out = new Uint8Array(4096);
  let at = 7;
  for (const [topic, codec, seq] of [['a.b', 1, 1], ['a.b', 200, 2], ['c', 1, 300], ['a.b', 1, 70_000], ['', 0, 2 ** 32]] as const) {
    const payload = bytes(seq % 300, seq);
    // No valueFrameSize first: the frame's cached start is made while writing.
    enc.writeValueFrame(out, at, topic, codec, seq, payload, payload.length, copyBytes);
    const want = packr.pack([4, topic, codec, PUBLISHER, seq, null, null, payload]);
    assert.equal([...out.subarray(at, at + want.length)], [...want], `${topic} codec=${codec} seq=${seq}`);
    assert.is(enc.valueFrameSize(topic, codec, seq, payload.length), want.length);
    at += want.length;
  }
});

test('the PUB decoder reads back every str size class (fixstr, str 8, 16, 32), the payload as a view', () => {
  const decoder = new PubDecoder();
  for (const len of [0, 31, 32, 255, 256, 65_535, 65_536]) {
    const topic = 'x'.repeat(len);
    const publisher = `p${'é'.repeat(len >> 1)}`;
    const payload = bytes(len % 1000, len);
    const frame = packr.pack([4, topic, 1, publisher, len + 1, len % 2 ? '_inbox.r' : null, null, payload]);
    const pub = decoder.decode(frame);
    assert.ok(pub, `the fast path reads a ${len}-byte topic`);
    assert.equal([pub.topic.length, pub.codec, pub.publisher, pub.seq, pub.replyTo], [len, 1, publisher, len + 1, len % 2 ? '_inbox.r' : undefined]);
    assert.equal([...pub.payload], [...payload]);
    assert.is(pub.payload.buffer, frame.buffer, 'a view of the frame, not a copy');
  }
});

test('encode() never writes past the end of its slab (user codec, seq past 2^32, bin 32 payload at the very end)', () => {
  // The largest envelope there is: codec a uint 8, seq a float64, a bin 32 header. Padding frames
  // fill the encoder's slab so that exactly as many bytes are left as the old size bound said.
  const topic = 'big';
  const enc = new PubEncoder(PUBLISHER);
  const overhead = (enc.encode(topic, 0, 1, new Uint8Array(0), undefined, undefined) as Uint8Array).length;
  const oldBound = 3 + 4 + (PUBLISHER.length + 2) + 9 + 1 + 1 + 5;
  let left = -1;
  // Each empty padding frame takes `overhead` (< 256) bytes: one of them leaves a gap that a
  // frame with a bin 8 payload fills exactly.
  for (let i = 0; i < 100_000 && left !== oldBound; i++) {
    const pad = enc.encode(topic, 0, 1, new Uint8Array(0), undefined, undefined) as Uint8Array;
    const p = pad.buffer.byteLength - (pad.byteOffset + pad.length) - oldBound - overhead;
    if (p < 0 || p > 255) continue;
    const frame = enc.encode(topic, 0, 1, new Uint8Array(p), undefined, undefined) as Uint8Array;
    left = frame.buffer.byteLength - (frame.byteOffset + frame.length);
  }
  assert.is(left, oldBound, 'the slab was filled up to the bound');
  const payload = bytes(70_000, 3);
  const out = enc.encode(topic, 200, 2 ** 32, payload, undefined, undefined);
  assert.ok(Array.isArray(out));
  const whole = Buffer.concat([out[0]!, out[1]!]);
  assert.ok(whole.equals(packr.pack([4, topic, 200, PUBLISHER, 2 ** 32, null, null, payload])), 'the frame msgpackr writes');
});

test('QPUB header: [9, sids] re-opened as a 3-array, then a bin 32 header for the PUB frame', () => {
  for (const sids of [[], [1], [1, 300, 70_000]]) {
    const pub = bytes(300, 1);
    const head = encodeQpubHeader(sids, pub.length);
    const packed = [...packr.pack([9, sids])];
    assert.equal([...head], [0x93, ...packed.slice(1), 0xc6, 0, 0, 1, 44]);
  }
});

test.run();
