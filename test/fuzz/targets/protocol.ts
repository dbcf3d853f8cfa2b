/**
 * The hub protocol: any frame through decodeFrame and the per-type readers (what the router and
 * the client do with a received frame), and the hand-written PUB decoder checked against the
 * general msgpack path (differential: both must agree on every frame the fast path accepts).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  Op, decodeFrame, encodeBye, encodeErr, encodeHello, encodePeers, encodePing, encodeQpubHeader, encodeSub, encodeUnsub,
  toHello, toPub, type Pub,
} from '../../../src/bus/protocol/messages.js';
import { decodePubFast } from '../../../src/bus/protocol/pub-decoder.js';
import { PubEncoder } from '../../../src/bus/protocol/pub-encoder.js';
import { checkPattern, checkTopic, matches } from '../../../src/bus/subjects/grammar.js';
import { InvalidTopicError, ProtocolError } from '../../../src/errors.js';
import { bytesInput, expect, instanceOfAny, sameBytes, type FuzzTarget } from '../target.js';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('a.b', 'sensor.*.temp', '>', '$sys.peers', ''));
const uint = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom(127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1));

interface PubFields { topic: string; codec: number; publisher: string; seq: number; replyTo?: string; headers?: Record<string, string>; payload: Uint8Array }
const pubFields: fc.Arbitrary<PubFields> = fc.record({
  topic: text, codec: fc.integer({ min: 0, max: 255 }), publisher: text, seq: uint,
  replyTo: fc.option(text, { nil: undefined }),
  headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

function encodePub(p: PubFields): Uint8Array {
  const e = new PubEncoder(p.publisher);
  const out = e.encode(p.topic, p.codec, p.seq, p.payload, p.replyTo, p.headers);
  if (!Array.isArray(out)) return Uint8Array.from(out);
  const whole = new Uint8Array(out[0]!.length + out[1]!.length);
  whole.set(out[0]!); whole.set(out[1]!, out[0]!.length);
  return whole;
}

function encodeQpub(sids: number[], pub: Uint8Array): Uint8Array {
  const head = encodeQpubHeader(sids, pub.length);
  const out = new Uint8Array(head.length + pub.length);
  out.set(head); out.set(pub, head.length);
  return out;
}

const validFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  pubFields.map(encodePub),
  fc.tuple(fc.array(fc.nat(1000), { maxLength: 4 }), pubFields.map(encodePub)).map(([s, p]) => encodeQpub(s, p)),
  fc.record({ version: uint, name: text, pid: uint, maxFrameSize: uint, busId: text }).map(encodeHello),
  fc.tuple(fc.nat(1000), text, fc.option(text, { nil: undefined })).map(([s, p, q]) => encodeSub(s, p, q)),
  fc.nat(1000).map(encodeUnsub), uint.map(encodePing), fc.tuple(text, text).map(([c, t]) => encodeErr(c, t)),
  fc.constant(0).map(encodeBye),
  fc.array(fc.tuple(text, text, uint, text), { maxLength: 3 }).map(encodePeers),
  fc.tuple(fc.integer({ min: 0, max: 12 }), fc.anything({ maxDepth: 2 })).map(([t, v]) => packr.pack([t, v])),
);

/** What router.ts and client.ts do with a frame before acting on it. */
function readFrame(frame: Uint8Array): void {
  const fast = decodePubFast(frame);
  if (fast) return void fast.payload;
  const msg = decodeFrame(frame);
  switch (msg[0]) {
    case Op.HELLO: toHello(msg); break;
    case Op.PUB: toPub(msg); break;
    case Op.QPUB: {
      if (!(msg[2] instanceof Uint8Array) || !Array.isArray(msg[1])) throw new ProtocolError('malformed QPUB');
      readFrame(msg[2]);
      break;
    }
    case Op.SUB: {
      // The router validates the pattern it is given (grammar.ts).
      if (typeof msg[2] === 'string') checkPattern(msg[2]);
      break;
    }
    default: break;
  }
}

export const protocolFrames: FuzzTarget<Uint8Array> = {
  name: 'protocol.frames',
  input: bytesInput(validFrame, 400),
  run: readFrame,
  typed: instanceOfAny(ProtocolError, InvalidTopicError),
};

function samePub(a: Pub, b: Pub): boolean {
  return a.topic === b.topic && a.codec === b.codec && a.publisher === b.publisher && a.seq === b.seq
    && a.replyTo === b.replyTo && sameBytes(a.payload, b.payload);
}

export const pubFast: FuzzTarget<Uint8Array> = {
  name: 'protocol.decodePubFast',
  input: bytesInput(pubFields.filter((p) => p.headers === undefined).map(encodePub), 400),
  run(frame) {
    const fast = decodePubFast(frame);
    if (fast === undefined) return;
    // Whatever the fast path accepts, the general path must read the same way.
    let general: Pub;
    try {
      general = toPub(decodeFrame(frame));
    } catch (err) {
      expect(false, `fast path accepted a frame the general path rejects: ${String(err)}`);
      return;
    }
    expect(samePub(fast, general), `fast and general paths disagree: ${JSON.stringify([fast.topic, fast.seq])} vs ${JSON.stringify([general.topic, general.seq])}`);
  },
  typed: instanceOfAny(ProtocolError),
  regressions: [
    // A str that is not UTF-8: the fast path threw TextDecoder's bare TypeError.
    Uint8Array.from([152, 4, 0, 163, 128, 0, 97, 46, 98, 0, 192, 192, 196, 0]),
    // A float64 seq cut short by the frame's end: DataView threw a bare RangeError.
    Uint8Array.from([152, 4, 160, 0, 163, 97, 46, 98, 203, 0, 0, 0, 192, 192, 196, 0]),
  ],
};

export const pubRoundTrip: FuzzTarget<PubFields> = {
  name: 'protocol.pub-round-trip',
  input: pubFields,
  run(p) {
    const frame = encodePub(p);
    const back = decodePubFast(frame) ?? toPub(decodeFrame(frame));
    expect(samePub(back, { ...p, replyTo: p.replyTo, headers: p.headers }), 'PUB did not come back');
  },
  typed: () => false,
  regressions: [
    // Topic '' on a fresh encoder: its topic cache answered with empty bytes, the PUB lost a field.
    { topic: '', codec: 0, publisher: '', seq: 127, replyTo: undefined, headers: undefined, payload: new Uint8Array(0) },
  ],
};

export const subjects: FuzzTarget<string> = {
  name: 'subjects.grammar',
  input: fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.constantFrom('a', 'b', '*', '>', '', ' ', '$sys', 'é', '.'), { maxLength: 8 }).map((t) => t.join('.'))),
  run(s) {
    let topicOk = true;
    try { checkTopic(s); } catch (err) { if (!(err instanceof InvalidTopicError)) throw err; topicOk = false; }
    checkPattern(s);
    // A valid topic is a pattern that matches itself.
    if (topicOk) expect(matches(s, s), `topic ${JSON.stringify(s)} does not match itself`);
  },
  typed: instanceOfAny(InvalidTopicError),
};
