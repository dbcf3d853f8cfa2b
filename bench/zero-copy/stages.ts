/**
 * The zero-copy path's per-sample code, one stage at a time, in one process (issue 16): what each
 * process spends on a sample apart from the transport, the wake-ups and the other processes.
 * run.ts and steady.ts measure the whole path, where a loaded machine moves the CPU per sample by
 * 2x between runs (fewer samples per wake-up when the peers get less CPU); these loops do not
 * wait for anyone, so they show a change of a few tens of ns.
 * - publisher: `tryLoan` + write a byte + `publish()` (the descriptor written in place into a
 *   ring-sized buffer, as the shm connection takes it);
 * - hub: the PUB decoded (`decodePubFast`) + `SampleRouter.route` to one receiver with a lane
 *   (its bit set, the in-flight bit cleared): the sample routing of the hub, without the ring;
 * - receiver: `SampleReceiver.deliver` of that PUB to one zeroCopy subscription, read one byte,
 *   `release()`, the delivery turn's end (one microtask per batch, as a drain).
 * `--p2p`: the receiver is the hub's own bus (p2p's bottleneck process): the router hands it each
 * sample through `SampleRouter.wrapLocal` inside the route, so the hub stage includes the
 * delivery and the receiver stage is only the delivery turn's end.
 * Samples go in batches of `--batch` (default 256, as the bench's publish window) through every
 * stage in turn, through one real pool in /dev/shm. Printed: CPU ns per sample of each stage
 * (process.cpuUsage: a stage preempted by another process does not count), median of `--rounds`
 * rounds of `--count` samples.
 *
 * `--batches`: the samples of a batch go as one batch PUB (src/zero-copy/batch.ts, as between a
 * bus and a hub that agreed on batches): one frame decoded and routed per batch.
 *
 * Run: npm run build && node dist/bench/zero-copy/stages.js [--count 200000] [--rounds 7] [--batch 256] [--p2p] [--batches]
 * @module
 */
import { Subject } from 'rxjs';
import type { BusEvent } from '../../src/bus/events.js';
import type { WireHandler, WireMessage } from '../../src/bus/fabric.js';
import type { Message } from '../../src/bus/types.js';
import type { Codec } from '../../src/codecs/codec.js';
import { PubEncoder } from '../../src/bus/protocol/pub-encoder.js';
import { decodePubFast, type FramePub } from '../../src/bus/protocol/pub-decoder.js';
import type { Pub } from '../../src/bus/protocol/messages.js';
import { RouterPeer } from '../../src/bus/hub/router-peer.js';
import type { Connection } from '../../src/transports/transport.js';
import { Loans } from '../../src/zero-copy/loans.js';
import { SampleRouter } from '../../src/zero-copy/hub-samples.js';
import { SampleReceiver, type ReceiveOptions } from '../../src/zero-copy/receiver.js';
import { encodeLane } from '../../src/zero-copy/descriptor.js';
import type { BatchAgreement } from '../../src/zero-copy/batch-agreement.js';
import type { Sample } from '../../src/zero-copy/sample.js';
import { ShmNames } from '../../src/transports/shm/options.js';
import { sweepZeroCopyBench } from './sweep.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): number => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 ? args[i + 1]! : def);
};
const count = opt('count', '200000');
const rounds = opt('rounds', '7');
const batch = opt('batch', '256');
const p2p = args.includes('--p2p');
const batches = args.includes('--batches');
/** Both sides agreed on batches (or, without --batches, never asked). */
const agreement = { agreed: batches, want: () => undefined } as unknown as BatchAgreement;
const SIZE = 65536;
const TOPIC = 'zc.data';

// ---- publisher: loans of a pool named as the bench hub `zcbench<pid>` would name it (swept as theirs) ------------
const prefix = new ShmNames(`zcbench${process.pid}`).prefix;
/** The frames the publisher wrote this batch (one ring-like buffer; offsets of each frame). */
const ring = new Uint8Array(1 << 20);
let ringAt = 0;
const frameEnds: number[] = [];
const encoder = new PubEncoder('zcpub');
let seq = 0;
const publishValue = (topic: string, codec: Codec, value: unknown): undefined => {
  const n = codec.sizeOf!(value);
  const size = encoder.valueFrameSize(topic, codec.id, ++seq, n);
  encoder.writeValueFrame(ring, ringAt, topic, codec.id, seq, value, n, codec.encodeInto!);
  ringAt += size;
  frameEnds.push(ringAt);
  return undefined;
};
const loans = new Loans('pub1', { prefix, poolBytes: 1024 * SIZE, mode: 0o600 }, () => undefined, publishValue, () => undefined, agreement);

// ---- hub: the sample router, one receiver peer with lane 1 -------------------------------------
// The peers are this process (its uid: a lane is handed out, as to a bus of the hub's user).
// maxFrameSize as a shm connection's: without it the peer's frame limit was undefined and the
// router split every batch into sample PUBs (encoded per sample) for a peer that could not take
// it, so `--batches` measured that split (~17 µs per sample in the hub stage), not batches.
const fakeConn = { closed: new Promise(() => undefined), peer: { pid: process.pid, uid: process.geteuid?.() }, maxFrameSize: 16 << 20 } as unknown as Connection;
const publisherPeer = new RouterPeer('p0', fakeConn);
const receiverPeer = new RouterPeer('p1', fakeConn);
const router = new SampleRouter({ write: () => true, err: (_p, code, text) => { throw new Error(`${code} ${text}`); }, hubId: 'hub:zcstages' });
router.lane(receiverPeer, { topic: '$zc.lane', codec: 0, publisher: 'x', seq: 1, replyTo: 'r', payload: new Uint8Array(0) } as Pub);
if (batches) router.batchAsked(receiverPeer, { topic: '$zc.batch', codec: 0, publisher: 'x', seq: 1, replyTo: 'r', payload: new Uint8Array(0) } as Pub);
/** The hub's own bus (--p2p): the router's local delivery, wrapped as the router wraps it. */
const local = router.wrapLocal(() => receiverPeer, {
  deliver: (pub) => receiver.deliver(pub as WireMessage, wanted, onMessage),
  deliverQueued: () => undefined,
});
/** The router's publish: hands the frame to the one receiver (as #route → #write → outgoing, or local.deliver). */
const publish = (_from: RouterPeer, frame: Uint8Array | Uint8Array[], pub: Pub): void => {
  if (p2p) local.deliver(pub);
  else if (router.outgoing(receiverPeer, frame) !== frame) rewritten++;
};
/** Frames the router handed on as something else (split into sample PUBs, or copies): 0 when the stages measure what they say. */
let rewritten = 0;

// ---- receiver: lane 1 (the answer the hub would send), one zeroCopy subscription ---------------
let laneHandler: WireHandler | undefined;
const receiver = new SampleReceiver({
  subscribe: (_p, h) => { laneHandler = h; return { unsubscribe: () => undefined }; },
  publish: () => undefined,
  replyTopic: '_ZC.sub.lane',
  events: new Subject<BusEvent>(),
  counters: { delivered: 0, badPayloads: 0 },
  expect: { uid: process.getuid?.(), mode: 0o600 },
  agreement,
});
receiver.wantLane();
laneHandler!({ topic: '_ZC.sub.lane', codec: 0, payload: encodeLane(1) } as WireMessage);
const wanted: ReceiveOptions = { zeroCopy: true, maxHold: 10_000 };
let sum = 0;
const onMessage = (m: Message): void => {
  const s = m as Message<Uint8Array> & { release(): void };
  sum += s.data[0]!;
  s.release();
};

const spent = { pub: 0, hub: 0, sub: 0 };
const pubs: FramePub[] = [];

/** CPU time of this process in µs (not wall time: on a loaded machine a stage is preempted). */
const cpuNow = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

async function oneBatch(n: number): Promise<void> {
  ringAt = 0;
  frameEnds.length = 0;
  let t = cpuNow();
  for (let i = 0; i < n; i++) {
    const s: Sample = loans.tryLoan(TOPIC, SIZE) ?? await loans.loan(TOPIC, SIZE);
    s.data[0] = i & 255;
    void s.publish();
  }
  loans.flushBatch(); // what the turn's microtask does
  let u = cpuNow();
  spent.pub += u - t;
  t = u;
  pubs.length = 0;
  let start = 0;
  const frames = frameEnds.length;
  for (let i = 0; i < frames; i++) {
    const frame = ring.subarray(start, frameEnds[i]!);
    start = frameEnds[i]!;
    const pub = decodePubFast(frame)!;
    router.route(publisherPeer, frame, pub, publish);
    pubs.push(pub);
  }
  u = cpuNow();
  spent.hub += u - t;
  t = u;
  if (!p2p) for (let i = 0; i < frames; i++) receiver.deliver(pubs[i]!, wanted, onMessage);
  await Promise.resolve(); // the delivery turn ends (its microtask gives the turn's references back)
  spent.sub += cpuNow() - t;
  // An event-loop turn between batches, as between a process's wake-ups (timers, setImmediate).
  await new Promise((resolve) => setImmediate(resolve));
}

async function round(): Promise<{ pub: number; hub: number; sub: number }> {
  spent.pub = spent.hub = spent.sub = 0;
  for (let done = 0; done < count; done += batch) await oneBatch(Math.min(batch, count - done));
  const ns = (us: number): number => (us * 1e3) / count;
  return { pub: ns(spent.pub), hub: ns(spent.hub), sub: ns(spent.sub) };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
try {
  await round(); // warm-up: JIT, the pool's pages
  const rs: Array<{ pub: number; hub: number; sub: number }> = [];
  for (let r = 0; r < rounds; r++) rs.push(await round());
  const col = (k: 'pub' | 'hub' | 'sub'): string => `${median(rs.map((x) => x[k])).toFixed(0)} ns [${Math.min(...rs.map((x) => x[k])).toFixed(0)}-${Math.max(...rs.map((x) => x[k])).toFixed(0)}]`;
  console.log(`zero-copy stages${p2p ? ' (p2p: the hub receives)' : ''}${batches ? ', batch PUBs' : ''}, ${SIZE} B loans, batches of ${batch}, CPU ns per sample, median of ${rounds} rounds of ${count} samples (checksum ${sum})`);
  console.log(`publisher (loan + publish): ${col('pub')}`);
  console.log(`hub (decode + route${p2p ? ' + deliver + release' : ''}): ${col('hub')}`);
  console.log(`receiver (${p2p ? 'turn end' : 'deliver + release + turn end'}): ${col('sub')}`);
  console.log(`frames the router rewrote: ${rewritten}`);
} finally {
  receiver.close();
  router.close();
  loans.close();
  sweepZeroCopyBench();
}
