/**
 * NatsFabric against a real nats-server: subjects and wildcards, queue groups, request/reply,
 * no responders, headers and codec ids, publish paced by the server's confirmations, holding
 * messages across a server restart, bad URLs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NatsFabric } from '../../src/bus/nats/index.js';
import { STATUS_HEADER, STATUS_NO_RESPONDERS, type FabricStatus, type WireMessage } from '../../src/bus/fabric.js';
import { ClosedError, InvalidUrlError, DisconnectedError } from '../../src/errors.js';
import { NatsServer, natsServerAvailable } from '../helpers/nats-server.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
let server: NatsServer;
const fabrics: NatsFabric[] = [];

async function fabric(url = server.url, options = {}): Promise<NatsFabric> {
  const f = await NatsFabric.connect(url, options);
  fabrics.push(f);
  return f;
}
const msg = (topic: string, text: string, extra: Partial<WireMessage> = {}): WireMessage =>
  ({ topic, codec: 2, payload: enc.encode(JSON.stringify(text)), ...extra });

test.before(async () => {
  assert.ok(natsServerAvailable(), 'nats-server is not installed (apt-get install -y nats-server)');
  server = await NatsServer.start();
});
test.after(async () => {
  await Promise.all(fabrics.map((f) => f.close()));
  await server.kill();
});

test('a message reaches subscribers of its subject, across connections, with codec and headers kept', async () => {
  const p = uniqueName('t');
  const a = await fabric();
  const b = await fabric();
  const got: WireMessage[] = [];
  b.subscribe(`${p}.x`, (m) => got.push(m));
  await b.flush();
  a.publish(msg(`${p}.x`, 'hello', { publisher: 'bus-a', seq: 7, headers: { trace: 'abc' } }));
  await a.flush();
  await until('delivery', () => got.length === 1);
  const m = got[0]!;
  assert.is(m.topic, `${p}.x`);
  assert.is(m.codec, 2);
  assert.is(dec.decode(m.payload), '"hello"');
  assert.is(m.publisher, 'bus-a');
  assert.is(m.seq, 7);
  assert.equal(m.headers, { trace: 'abc' });
});

test('wildcards: * matches one token, > the rest; order is kept per publisher', async () => {
  const p = uniqueName('w');
  const f = await fabric();
  const star: string[] = [];
  const rest: string[] = [];
  f.subscribe(`${p}.*.temp`, (m) => star.push(m.topic));
  f.subscribe(`${p}.>`, (m) => rest.push(m.topic));
  await f.flush();
  for (const t of [`${p}.a.temp`, `${p}.a.b.temp`, `${p}.b.temp`, `${p}.c`]) f.publish(msg(t, 'v'));
  await f.flush();
  await until('all four on >', () => rest.length === 4);
  assert.equal(star, [`${p}.a.temp`, `${p}.b.temp`]);
  assert.equal(rest, [`${p}.a.temp`, `${p}.a.b.temp`, `${p}.b.temp`, `${p}.c`]);
});

test('past maxPendingBytes unconfirmed, publish waits for the server; everything arrives in order', async () => {
  const p = uniqueName('pace');
  const pub = await fabric(server.url, { maxPendingBytes: 1024 });
  const sub = await fabric();
  const got: string[] = [];
  sub.subscribe(`${p}.x`, (m) => got.push(JSON.parse(dec.decode(m.payload)) as string));
  await sub.flush();
  let waits = 0;
  for (let i = 0; i < 200; i++) {
    const wait = pub.publish(msg(`${p}.x`, `m${i}`));
    if (wait !== undefined) { waits++; await wait; }
  }
  await pub.flush();
  await until('all 200 delivered', () => got.length === 200);
  assert.ok(waits > 0, 'some publishes waited for the confirmation');
  assert.equal(got, Array.from({ length: 200 }, (_, i) => `m${i}`));
});

test('queue group: each message goes to exactly one member', async () => {
  const p = uniqueName('q');
  const pub = await fabric();
  const members = [await fabric(), await fabric(), await fabric()];
  const counts = [0, 0, 0];
  members.forEach((m, i) => m.subscribe(`${p}.work`, () => { counts[i]! += 1; }, { queue: 'workers' }));
  await Promise.all(members.map((m) => m.flush()));
  for (let i = 0; i < 300; i++) pub.publish(msg(`${p}.work`, String(i)));
  await pub.flush();
  await until('300 deliveries', () => counts.reduce((a, b) => a + b) === 300);
  await pub.flush();
  assert.is(counts.reduce((a, b) => a + b), 300);
  assert.ok(counts.filter((c) => c > 0).length >= 2, `work spread: ${counts}`);
});

test('request/reply through reply subjects; no responders becomes the status header', async () => {
  const p = uniqueName('r');
  const client = await fabric();
  const service = await fabric();
  service.subscribe(`${p}.echo`, (m) => {
    service.publish({ topic: m.replyTo!, codec: m.codec, payload: m.payload, headers: { served: 'yes' } });
  });
  await service.flush();
  const replies: WireMessage[] = [];
  const inbox = `_INBOX.${p}`;
  client.subscribe(`${inbox}.*`, (m) => replies.push(m));
  client.publish(msg(`${p}.echo`, 'ping', { replyTo: `${inbox}.1` }));
  client.publish(msg(`${p}.nobody`, 'ping', { replyTo: `${inbox}.2` }));
  await client.flush();
  await until('two replies', () => replies.length === 2);
  const byTopic = new Map(replies.map((r) => [r.topic, r]));
  const ok = byTopic.get(`${inbox}.1`)!;
  assert.is(dec.decode(ok.payload), '"ping"');
  assert.is(ok.headers?.served, 'yes');
  const none = byTopic.get(`${inbox}.2`)!;
  assert.is(none.headers?.[STATUS_HEADER], STATUS_NO_RESPONDERS);
  assert.is(none.payload.byteLength, 0);
});

test('codec 0 travels without headers; a headerless message gets foreignCodec', async () => {
  const p = uniqueName('c');
  const a = await fabric(`${server.url}?codec=1`);
  const got: WireMessage[] = [];
  a.subscribe(`${p}.raw`, (m) => got.push(m));
  await a.flush();
  a.publish({ topic: `${p}.raw`, codec: 0, payload: Uint8Array.of(1, 2, 3) });
  await a.flush();
  await until('delivery', () => got.length === 1);
  assert.is(got[0]!.codec, 1, 'no header: the URL said codec=1');
  assert.equal([...got[0]!.payload], [1, 2, 3]);
  assert.is(got[0]!.headers, undefined);
});

test('messages published while the server is down are held and sent after it restarts', async () => {
  const own = await NatsServer.start();
  try {
    const p = uniqueName('h');
    // Its own subscriber: on reconnect the client re-subscribes before anything held is sent,
    // so the order on this one connection (SUB, then the held PUBs) makes the test deterministic.
    const pub = await fabric(own.url, { reconnectTimeWait: 100 });
    const states: FabricStatus['type'][] = [];
    pub.status.subscribe((s) => states.push(s.type));
    const got: string[] = [];
    pub.subscribe(`${p}.held`, (m) => got.push(dec.decode(m.payload)));
    await pub.flush();
    await own.kill();
    await until('pub sees the disconnect', () => states.includes('disconnected'));
    for (let i = 0; i < 100; i++) assert.is(pub.publish(msg(`${p}.held`, String(i))), undefined);
    assert.is(pub.stats().held, 100);
    await own.restart();
    await until('reconnected', () => states.includes('reconnected'), 20_000);
    await pub.flush({ timeout: 20_000 });
    await until('100 held messages delivered', () => got.length === 100, 20_000);
    assert.equal(got, Array.from({ length: 100 }, (_, i) => JSON.stringify(String(i))));
    assert.is(pub.stats().reconnects, 1);
    assert.is(pub.stats().held, 0);
  } finally {
    await own.kill();
  }
});

test('a full hold makes publish wait, then fail with DisconnectedError after maxStall', async () => {
  const own = await NatsServer.start();
  try {
    const pub = await fabric(own.url, { reconnectBufferSize: 1000, maxStall: 300 });
    const states: string[] = [];
    pub.status.subscribe((s) => states.push(s.type));
    await own.kill();
    await until('disconnect seen', () => states.includes('disconnected'));
    const big = { topic: 'x.y', codec: 0, payload: new Uint8Array(800) };
    assert.is(pub.publish(big), undefined);
    const waiting = pub.publish(big);
    assert.instance(waiting, Promise);
    const err = await waiting!.then(() => null, (e: unknown) => e);
    assert.instance(err, DisconnectedError);
    await pub.close();
    assert.is(pub.stats().droppedOnClose, 1);
    const after = await pub.publish(big)!.then(() => null, (e: unknown) => e);
    assert.instance(after, ClosedError);
  } finally {
    await own.kill();
  }
});

test('bad URLs and unreachable servers give typed errors', async () => {
  for (const bad of ['nats://', 'nats://host:0', 'nats://a b:4222', 'nats://h:4222?bogus=1', 'unix:///tmp/x']) {
    try {
      await NatsFabric.connect(bad);
      assert.unreachable(`accepted ${bad}`);
    } catch (err) {
      assert.instance(err, InvalidUrlError, `${bad}: ${err}`);
    }
  }
  const gone = await NatsServer.start();
  const url = gone.url;
  await gone.kill();
  const err = await NatsFabric.connect(url, { connectTimeout: 1000 }).then(() => null, (e: unknown) => e);
  assert.instance(err, DisconnectedError);
});

test.run();
