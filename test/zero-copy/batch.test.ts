/**
 * Sample batches (src/zero-copy/batch.ts, docs/protocol.md "Zero-copy samples"): the samples one
 * bus publishes on one topic in one turn cross the hub as one PUB. With real processes over
 * shm://: order kept with ordinary messages and other topics, through the hub's own bus and a
 * client; a publisher killed mid-stream (mid-batch) still has what it published delivered, a
 * subscriber killed holding a batch's samples gives them back; a bad descriptor in a batch is
 * refused with ERR while the others are delivered and given back; a receiver that never asked for
 * batches (earlier code) gets one sample PUB per sample, one without a lane copies.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import type { FabricStatus, WireMessage } from '../../src/bus/fabric.js';
import { HubFabric } from '../../src/bus/hub/hub-fabric.js';
import { msgpackCodec } from '../../src/codecs/index.js';
import { decodeDescriptor, LANE_TOPIC, SAMPLE_CODEC } from '../../src/zero-copy/descriptor.js';
import { BATCH_TOPIC, BatchRead, BatchWriter, readBatch, SAMPLE_BATCH_CODEC } from '../../src/zero-copy/batch.js';
import { PoolWriter } from '../../src/zero-copy/pool-writer.js';
import { PoolView } from '../../src/zero-copy/pool-reader.js';
import { POOL_INFIX, poolGeometry } from '../../src/zero-copy/pool-layout.js';
import { ShmNames } from '../../src/transports/shm/options.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until, within } from '../../src/transport-kit/conformance/watchdog.js';
import { checkPatterns, u32 } from './pattern-check.js';

const peer = script(import.meta.url, './zc-peer.js');
const children = new ChildSet();
const entries = (name: string): string[] => readdirSync('/dev/shm').filter((n) => n.includes(name));
const pubs = (lines: string[]): number[] => lines.filter((l) => l.startsWith('pub ')).map((l) => Number(l.slice(4)));
const EMPTY_MAP = new Uint8Array([0x80]);

test.after.each(() => children.killAll());

test('samples of a turn go as batches; order kept with ordinary messages and other topics, at the hub\'s own bus and at a client', async () => {
  const name = uniqueName('zcb');
  const url = `shm://${name}?pool=16MiB`;
  const turns = 200;
  const total = turns * 14;
  const hub = await Bus.listen(url);
  try {
    let n = 0;
    let bad = -1;
    let shared = 0;
    let lastSeq: number | undefined;
    hub.subscribe('z.>', { zeroCopy: true }).subscribe((m: SampleMessage) => {
      if (u32(m.data) !== n && bad < 0) bad = n;
      if (m.seq === lastSeq) shared++;
      lastSeq = m.seq;
      m.release();
      n++;
    });
    await hub.flush();
    const recorder = children.add(spawnNode(peer, ['recorder', url, String(total)]));
    await recorder.waitLine(/^ready$/, 60_000);
    const publisher = children.add(spawnNode(peer, ['interleaver', url, String(turns)]));
    await publisher.waitLine(new RegExp(`^done ${total}$`), 120_000);
    const line = await recorder.waitLine(/^got /, 60_000);
    assert.is(line, `got ${total} order ok shared ${line.split(' ').pop()}`, 'the client got every message in order');
    assert.ok(Number(line.split(' ').pop()) > 0, 'the client got batches (samples sharing a PUB\'s seq)');
    await until('the hub\'s own bus got every message', () => n === total, 30_000);
    assert.is(bad, -1, 'the hub\'s own bus got them in order');
    assert.ok(shared > 0, 'the hub\'s own bus got batches');
    publisher.kill('SIGTERM');
    recorder.kill('SIGTERM');
    await publisher.waitExit();
    await recorder.waitExit();
    await until('pool removed from /dev/shm', () => entries(name).every((e) => !e.includes('~pool.')), 30_000);
  } finally {
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing of the hub left in /dev/shm');
});

test('kill -9 a subscriber holding a batch\'s samples, then the batching publisher mid-stream: slots come back, published samples arrive, none torn, pool removed', async () => {
  const name = uniqueName('zcbk');
  // 1 MiB pool: 8 samples of 100 000 bytes (two 64 KiB blocks each), one batch of the batcher.
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url);
  try {
    const { seen, torn } = checkPatterns(hub);
    await hub.flush();
    const holder = children.add(spawnNode(peer, ['holder', url]));
    await holder.waitLine(/^ready$/, 60_000);
    const publisher = children.add(spawnNode(peer, ['batcher', url]));
    await publisher.waitLine(/^ready$/, 60_000);
    await holder.waitLine(/^held 8$/, 60_000);
    holder.kill('SIGKILL');
    await holder.waitExit();
    await publisher.waitLine(/^pub (4\d|[5-9]\d|\d{3,})$/, 60_000);
    publisher.kill('SIGKILL');
    await publisher.waitExit();
    const published = Math.max(...pubs(publisher.lines));
    await until('every sample published before the kill delivered', () => {
      for (let i = 0; i <= published; i++) if (!seen.has(i)) return false;
      return true;
    }, 30_000);
    assert.is(torn(), 0, 'no torn sample');
    await until('pool removed from /dev/shm', () => entries(name).every((e) => !e.includes('~pool.')), 30_000);
  } finally {
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing of the hub left in /dev/shm');
});

/** A raw client of the hub (no Bus): frames as they come, the ERRs it gets. */
async function rawClient(url: string, busId: string): Promise<{ fabric: HubFabric; got: WireMessage[]; errors: FabricStatus[] }> {
  const fabric = await HubFabric.connect(url, { busId });
  const errors: FabricStatus[] = [];
  fabric.status.subscribe((s) => { if (s.type === 'error') errors.push(s); });
  const got: WireMessage[] = [];
  fabric.subscribe('y.>', (w) => { got.push({ ...w, payload: w.payload.slice() }); });
  return { fabric, got, errors };
}

/** Asks for a lane (and, with `batches`, for batches) as a bus does; resolves with the lane. */
async function askLane(c: HubFabric, busId: string, batches: boolean): Promise<number> {
  let lane = -1;
  c.subscribe(`_ZC.${busId}.lane`, (w) => { lane = (msgpackCodec.decode(w.payload) as { lane: number }).lane; });
  if (batches) c.subscribe(`_ZC.${busId}.batch`, () => undefined);
  await c.publish({ topic: LANE_TOPIC, codec: msgpackCodec.id, payload: EMPTY_MAP, replyTo: `_ZC.${busId}.lane` });
  if (batches) await c.publish({ topic: BATCH_TOPIC, codec: msgpackCodec.id, payload: EMPTY_MAP, replyTo: `_ZC.${busId}.batch` });
  await c.flush();
  await until('lane answered', () => lane >= 0, 20_000);
  return lane;
}

test('a bad descriptor in a batch is refused with ERR, the others delivered and given back; receivers of earlier code get one sample PUB each, laneless ones copies', async () => {
  const name = uniqueName('zcbb');
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url);
  const poolName = `/${new ShmNames(name).prefix}${POOL_INFIX}rawpub.1`;
  const pool = new PoolWriter(poolName, poolGeometry(1 << 20), 0o600);
  const closers: Array<() => Promise<void>> = [];
  try {
    const fresh = await rawClient(url, 'rawnew'); // asked for batches: gets the batch
    const old = await rawClient(url, 'rawold');   // a lane, no batches: one sample PUB per sample
    const laneless = await rawClient(url, 'rawcopy'); // no lane: copies
    const pub = await rawClient(url, 'rawpub');
    closers.push(() => fresh.fabric.close(), () => old.fabric.close(), () => laneless.fabric.close(), () => pub.fabric.close());
    const freshLane = await askLane(fresh.fabric, 'rawnew', true);
    const oldLane = await askLane(old.fabric, 'rawold', false);
    assert.ok(freshLane > 0 && oldLane > 0, 'both got lanes');
    await laneless.fabric.flush();

    // Three good samples in flight, one stale (generation), one named twice.
    const runs = [0, 1, 2].map((k) => {
      const block = pool.take(1000);
      pool.bytes(block, 1000).fill(10 + k);
      pool.publish(block);
      return { block, length: 1000, generation: pool.generationOf(block) };
    });
    const sent = [...runs, { block: runs[0]!.block + 5, length: 1000, generation: 777 }, runs[1]!];
    const payload = new BatchWriter(poolName).codec.encode({ runs: sent, count: sent.length });
    await pub.fabric.publish({ topic: 'y.batch', codec: SAMPLE_BATCH_CODEC, payload });
    await pub.fabric.flush();

    await until('the ERR for the refused two', () => pub.errors.length === 1, 20_000);
    const err = pub.errors[0] as { error?: Error };
    assert.match(err.error?.message ?? '', /hub says ERR_UNIBUS_SAMPLE: .*2 of 5 samples dropped/);

    await until('each receiver got its form', () => fresh.got.length === 1 && old.got.length === 3 && laneless.got.length === 3, 20_000);
    const read = readBatch(fresh.got[0]!.payload, 0, fresh.got[0]!.payload.length, new BatchRead());
    assert.is(fresh.got[0]!.codec, SAMPLE_BATCH_CODEC);
    assert.equal(read.blocks.slice(0, read.count), runs.map((r) => r.block), 'the batch forwarded holds the good three only');
    assert.ok(old.got.every((w) => w.codec === SAMPLE_CODEC), 'earlier code gets sample PUBs');
    assert.equal(old.got.map((w) => decodeDescriptor(w.payload).block), runs.map((r) => r.block));
    assert.ok(laneless.got.every((w, k) => w.codec === 0 && w.payload.length === 1000 && w.payload.every((b) => b === 10 + k)), 'copies');

    // Accounting: each good sample is held by exactly the two lanes (the hub let go of bit 0).
    const view = PoolView.open(poolName, { uid: process.geteuid?.(), mode: 0o600 });
    try {
      const both = (1n << BigInt(freshLane)) | (1n << BigInt(oldLane));
      for (const r of runs) assert.is(view.holdersOf(r.block), both, `block ${r.block} held by the two lanes`);
      for (const r of runs) {
        view.dropLane(r.block, freshLane);
        view.dropLane(r.block, oldLane);
      }
      for (const r of runs) assert.is(view.holdersOf(r.block), 0n, 'released: free for the publisher');
    } finally {
      view.close();
    }
  } finally {
    await within(20_000, 'raw clients close', Promise.all(closers.map((c) => c())));
    pool.close();
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing left in /dev/shm');
});

test.run();
