/**
 * The hub's own publishes routed at once, written in place into each subscriber's connection
 * (src/bus/hub/own-now.ts), and the link path they fall back to. Over unix:// (connections that
 * write in place), seen by a client written from the protocol alone: every size arrives whole,
 * with consecutive sequence numbers, in publish order, while the path switches between the two
 * (the hub's own subscription, a SUB still on the link); a payload changed after `publish()` is
 * not what is sent; a publish made by the hub's subscriber in reaction to a message reaches a
 * remote peer after that message; a subscriber that stops reading holds the hub's publisher
 * (nothing lost, nothing reordered).
 */
import { Packr } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import { RawHubClient, T } from '../helpers/raw-hub-client.js';
import { tmpDir } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';

const packr = new Packr({ useRecords: false });

const SIZES = [0, 16, 254, 255, 1024, 4096, 16_380, 16_400, 65_536, 100_000];

function bytes(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

interface Got {
  topic: string;
  seq: number;
  payload: Uint8Array;
}

async function setup(label: string): Promise<{ hub: Bus; raw: RawHubClient; got: Got[]; sub(sid: number, topic: string): Promise<void> }> {
  const path = `${tmpDir(label)}/hub.sock`;
  const hub = await Bus.listen(`unix://${path}`);
  const raw = await RawHubClient.open(path, label);
  const got: Got[] = [];
  let pongs = 0;
  raw.onMessage = (msg) => {
    if (msg[0] === T.PUB) got.push({ topic: msg[1] as string, seq: msg[4] as number, payload: new Uint8Array(packr.unpack(msg[7] as Uint8Array) as Uint8Array) });
    if (msg[0] === T.PONG) pongs++;
  };
  let ping = 0;
  const sub = async (sid: number, topic: string): Promise<void> => {
    raw.send([T.SUB, sid, topic, null]);
    // PING after SUB: its PONG says the hub has the subscription.
    const want = pongs + 1;
    raw.send([T.PING, ++ping]);
    await until(() => pongs >= want, 'PONG');
  };
  return { hub, raw, got, sub };
}

async function until(done: () => boolean, label: string): Promise<void> {
  await within(20_000, label, (async () => { while (!done()) await new Promise((r) => setTimeout(r, 5)); })());
}

/** The hub's messages on `topic` carry consecutive seqs (one publisher: nothing lost or reordered). */
function checkSeqs(got: Got[]): void {
  for (let i = 1; i < got.length; i++) assert.is(got[i]!.seq, got[i - 1]!.seq + 1, `seq after #${i - 1}`);
}

test('every size arrives whole and in order while the path switches; later changes to the payload do not count', async () => {
  const { hub, raw, got, sub } = await setup('own-now-sizes');
  try {
    await sub(1, 'now.a');
    const sent: Uint8Array[] = [];
    const publish = (seed: number, size: number): void => {
      const payload = bytes(size, seed);
      sent.push(payload.slice());
      void hub.publish('now.a', payload);
      payload.fill(0xee); // the caller may reuse its buffer at once
    };
    for (let round = 0; round < 4; round++) {
      for (const size of SIZES) publish(round + size, size);
      // The hub's own subscription (SUB on the link first, then the link path), then without it.
      const local = hub.subscribe(round % 2 === 0 ? 'now.a' : 'now.other').subscribe(() => {});
      for (const size of SIZES) publish(round * 3 + size, size);
      await within(5000, 'hub flush', hub.flush());
      for (const size of SIZES) publish(round * 5 + size, size);
      local.unsubscribe();
      for (const size of SIZES) publish(round * 11 + size, size);
      await new Promise((r) => setImmediate(r));
    }
    await until(() => got.length === sent.length, 'deliveries');
    checkSeqs(got);
    for (let i = 0; i < sent.length; i++) assert.equal(got[i]!.payload, sent[i], `#${i} (${sent[i]!.length} B)`);
  } finally {
    raw.close();
    await hub.close();
  }
});

test('what the hub publishes in reaction to a message reaches a remote peer after that message', async () => {
  const { hub, raw, got, sub } = await setup('own-now-react');
  try {
    // The hub's subscription first: the router delivers to it before the remote peer.
    hub.subscribe('react.in').subscribe((m) => { void hub.publish('react.out', m.data as Uint8Array); });
    await within(5000, 'hub flush', hub.flush());
    await sub(1, 'react.in');
    await sub(2, 'react.out');
    const n = 50;
    for (let i = 0; i < n; i++) {
      void hub.publish('react.in', bytes(64, i));
      // One at a time: the link is empty when the reaction is published.
      await new Promise((r) => setImmediate(r));
    }
    await until(() => got.length === 2 * n, 'deliveries');
    for (let i = 0; i < n; i++) {
      const inAt = got.findIndex((g) => g.topic === 'react.in' && g.payload[0] === bytes(64, i)[0]);
      const outAt = got.findIndex((g) => g.topic === 'react.out' && g.payload[0] === bytes(64, i)[0]);
      assert.ok(inAt >= 0 && outAt > inAt, `message ${i}: in at ${inAt}, its reaction at ${outAt}`);
    }
  } finally {
    raw.close();
    await hub.close();
  }
});

test('a subscriber that stops reading holds the hub\'s publisher: 32 MiB later, nothing lost or reordered', async () => {
  const { hub, raw, got, sub } = await setup('own-now-full');
  try {
    await sub(1, 'full.a');
    raw.pause();
    const n = 512; // 64 KiB each
    let accepted = 0;
    const sends = (async () => {
      for (let i = 0; i < n; i++) {
        const wait = hub.publish('full.a', bytes(65_536, i));
        accepted++;
        await wait;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    // The socket and the connection hold a few MiB; the publisher waits for the rest.
    assert.ok(accepted < n, `publisher held back (${accepted} of ${n} accepted while nothing was read)`);
    raw.resume();
    await within(30_000, 'publishes accepted', sends);
    await until(() => got.length === n, 'all delivered');
    checkSeqs(got);
    for (let i = 0; i < n; i++) assert.is(got[i]!.payload[1], bytes(2, i)[1], `#${i}`);
    assert.equal(raw.errs, [], 'no ERR (not a slow consumer)');
  } finally {
    raw.close();
    await hub.close();
  }
});

test.run();
