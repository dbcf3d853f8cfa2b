/**
 * The hub's own publishes that cross its link are encoded into pooled buffers (large) or cuts of
 * recycled slabs, given back once the router has copied them into every subscriber's connection
 * (src/bus/hub/own-pooled.ts, own-payload.ts).
 * A buffer given back too early is reused by a later publish while something still reads it:
 * these check, byte for byte, every large payload the hub publishes while the paths switch, at
 * a subscriber that keeps up, one that stops reading for a while, and the hub's own subscription
 * (handed views of the payload, which it keeps), over unix:// (a client written from the
 * protocol alone) and shm:// (a Bus client); the caller's buffer is overwritten as soon as
 * `publish()` returns.
 */
import { Packr } from 'msgpackr';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import { RawHubClient, T } from '../helpers/raw-hub-client.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';

const packr = new Packr({ useRecords: false });

/** Over the slab's limit (64 KiB) pooled, under it cut from recycled slabs; 1 MiB fills a connection at once. */
const SIZES = [70_000, 1_048_576, 4096, 200_000, 20_000, 1_048_576, 300, 65_000];

function bytes(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed * 13) & 0xff;
  return b;
}

async function until(done: () => boolean, label: string): Promise<void> {
  await within(60_000, label, (async () => { while (!done()) await new Promise((r) => setTimeout(r, 5)); })());
}

/** Publishes `rounds` × SIZES on `topic`, overwriting each payload once `publish()` returns; what was sent. */
async function publishAll(hub: Bus, topic: string, rounds: number, between: (round: number) => Promise<void>): Promise<Uint8Array[]> {
  const sent: Uint8Array[] = [];
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < SIZES.length; k++) {
      const payload = bytes(SIZES[k]!, round * SIZES.length + k);
      sent.push(payload.slice());
      const wait = hub.publish(topic, payload);
      payload.fill(0xee); // the caller may reuse its buffer at once
      if (k % 2 === 1) await wait;
    }
    await between(round);
  }
  return sent;
}

function checkAll(label: string, got: readonly Uint8Array[], sent: readonly Uint8Array[]): void {
  assert.is(got.length, sent.length, `${label}: count`);
  for (let i = 0; i < sent.length; i++) {
    const g = got[i]!;
    assert.is(g.length, sent[i]!.length, `${label} #${i}: size`);
    // Whole-array equality of MiB arrays is slow in uvu's diff: compare, then report the first difference.
    const at = g.findIndex((v, j) => v !== sent[i]![j]);
    assert.is(at, -1, `${label} #${i} (${g.length} B): first wrong byte`);
  }
}

test('unix: a subscriber that keeps up, one that pauses, and the hub\'s own subscription get every large payload intact', async () => {
  const path = `${tmpDir('own-pooled-unix')}/hub.sock`;
  const hub = await Bus.listen(`unix://${path}`);
  const clients: RawHubClient[] = [];
  try {
    const open = async (name: string): Promise<{ raw: RawHubClient; got: Uint8Array[] }> => {
      const raw = await RawHubClient.open(path, name);
      clients.push(raw);
      const got: Uint8Array[] = [];
      let pongs = 0;
      raw.onMessage = (msg) => {
        if (msg[0] !== T.PUB) return void (msg[0] === T.PONG && pongs++);
        try {
          got.push(new Uint8Array(packr.unpack(msg[7] as Uint8Array) as Uint8Array));
        } catch {
          got.push(new Uint8Array(0)); // a payload overwritten under its frame: counted, and fails the check
        }
      };
      raw.send([T.SUB, 1, 'big.a', null]);
      raw.send([T.PING, 1]);
      await until(() => pongs === 1, `${name} PONG`);
      return { raw, got };
    };
    const steady = await open('own-pooled-steady');
    const pausing = await open('own-pooled-pausing');
    // The hub's own subscription keeps every view it is handed, checked at the end.
    const local: Uint8Array[] = [];
    const sent = await publishAll(hub, 'big.a', 12, async (round) => {
      if (round === 1) pausing.raw.pause();
      if (round === 3) pausing.raw.resume();
      if (round === 4) {
        hub.subscribe('big.a').subscribe((m) => { local.push(m.data as Uint8Array); });
        await within(5000, 'hub flush', hub.flush());
      }
    });
    const localFrom = 5 * SIZES.length;
    await until(() => steady.got.length === sent.length && pausing.got.length === sent.length
      && local.length === sent.length - localFrom, 'deliveries');
    checkAll('steady', steady.got, sent);
    checkAll('pausing', pausing.got, sent);
    checkAll('hub subscription', local, sent.slice(localFrom));
    assert.equal(steady.raw.errs, [], 'no ERR');
  } finally {
    for (const c of clients) c.close();
    await hub.close();
  }
});

test('shm: two Bus subscribers get every large payload intact while the hub publishes as fast as it can', async () => {
  const url = `shm://${uniqueName('own-pooled')}`;
  const hub = await Bus.listen(url);
  const subs: Bus[] = [];
  try {
    const gots: Uint8Array[][] = [];
    for (let i = 0; i < 2; i++) {
      const bus = await Bus.connect(url);
      subs.push(bus);
      const got: Uint8Array[] = [];
      gots.push(got);
      bus.subscribe('big.s').subscribe((m) => { got.push(m.data as Uint8Array); });
      await within(5000, 'client flush', bus.flush());
    }
    const sent = await publishAll(hub, 'big.s', 6, async () => {});
    await until(() => gots.every((g) => g.length === sent.length), 'deliveries');
    gots.forEach((got, i) => { checkAll(`subscriber ${i}`, got, sent); });
  } finally {
    for (const s of subs) await s.close();
    await hub.close();
  }
});

test.run();
