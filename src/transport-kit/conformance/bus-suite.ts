/**
 * The Bus conformance suite: the same Bus semantics on every URL scheme. Written once against
 * the public Bus API; each scheme runs it from its own `bus-<scheme>.test.ts`. Cases are chosen
 * by capability, never by scheme name.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../bus/bus.js';
import type { BusEvent } from '../../bus/events.js';
import { NoRespondersError, InvalidTopicError, FrameTooLargeError } from '../../errors.js';
import { rejectsWith, within, until } from './watchdog.js';
import type { TransportFixture } from './fixture.js';
import { startPeer, type Peer } from './bus-peers.js';
import { semanticsCases } from './bus-semantics-cases.js';
import { loanCases } from './bus-loan-cases.js';

export function busSuite(fixture: TransportFixture): void {
  const test = suite(`Bus on ${fixture.scheme}:`);
  const open: Array<{ close(): Promise<void> }> = [];
  const peers: Peer[] = [];
  const hubOn = async (label: string, options = {}): Promise<{ hub: Bus; url: string }> => {
    const url = fixture.url(label);
    const hub = await Bus.listen(url, options);
    open.push(hub);
    urls.push(url);
    return { hub, url: hub.url };
  };
  const peer = (hub: Bus, url: string, role: string, ...args: string[]): Peer => {
    const p = startPeer(fixture, hub, url, role, args);
    peers.push(p);
    return p;
  };

  // Cases that connect a client Bus in this process: impossible when the hub spawns its clients
  // (`pipe:`), whose connections exist only in children; those transports are covered for bad
  // input and garbage by the Transport suite and the cross-process cases here.
  const inProcessClient = fixture.capabilities.spawnsClients
    ? (_name: string, _body: () => Promise<void>): void => undefined
    : test;

  const urls: string[] = [];
  test.after.each(async () => {
    // Peers leave the way programs do (stdin EOF ends them); a peer that will not is killed.
    await Promise.all(peers.splice(0).map((p) => p.stop().catch(() => p.kill('SIGKILL'))));
    for (const o of open.splice(0).reverse()) await o.close();
    // Every case leaves nothing behind (and the fixture removes its own durable test data).
    for (const url of urls.splice(0)) assert.equal(await fixture.leftovers(url), [], `leftovers of ${url}`);
  });

  test('wildcards: a.* gets one token, a.> the rest, each in order, once per message', async () => {
    const { hub, url } = await hubOn('wild');
    const star = peer(hub, url, 'subscriber', 'a.*');
    const rest = peer(hub, url, 'subscriber', 'a.>');
    await star.waitLine(/^ready$/);
    await rest.waitLine(/^ready$/);
    for (let i = 0; i < 50; i++) await hub.publish('a.b', { i });
    for (let i = 0; i < 50; i++) await hub.publish('a.b.c', { i });
    await hub.publish('z.z', { i: -1 });
    await until('all delivered', () => rest.lines.length >= 101 && star.lines.length >= 51, 30_000);
    await hub.flush();
    const seq = (n: number, topic: string) => Array.from({ length: n }, (_, i) => `${topic} ${i}`);
    assert.equal(star.lines.slice(1), seq(50, 'a.b'));
    assert.equal(rest.lines.slice(1), [...seq(50, 'a.b'), ...seq(50, 'a.b.c')]);
  });

  test('order over 10k messages from a client publisher to a hub subscriber', async () => {
    const { hub, url } = await hubOn('order');
    const got: number[] = [];
    hub.subscribe('n.x').subscribe((m) => got.push((m.data as { i: number }).i));
    await hub.flush();
    const pub = peer(hub, url, 'publisher', 'n.x', '10000');
    await pub.waitLine(/^done$/, 60_000);
    await until('10k messages', () => got.length >= 10000, 60_000);
    assert.is(got.length, 10000);
    assert.ok(got.every((v, i) => v === i), 'in order, none lost or repeated');
  });

  test('request/reply across peers; no responders fails at once with NoRespondersError', async () => {
    const { hub, url } = await hubOn('req');
    const server = peer(hub, url, 'server', 'svc.echo');
    await server.waitLine(/^ready$/);
    const reply = await hub.request('svc.echo', { hello: 1 }, { timeout: 10_000 }) as { echo: unknown };
    assert.equal(reply.echo, { hello: 1 });
    const err = await hub.request('svc.nobody', 1, { timeout: 60_000 }).then(() => undefined, (e: unknown) => e);
    assert.instance(err, NoRespondersError);
  });

  test('a queue group of 3 peers gets 3000 messages, each exactly once across the group', async () => {
    const { hub, url } = await hubOn('queue');
    const members = [1, 2, 3].map(() => peer(hub, url, 'subscriber', 'work.*', 'workers'));
    await Promise.all(members.map((m) => m.waitLine(/^ready$/)));
    for (let i = 0; i < 3000; i++) await hub.publish('work.item', { i });
    await hub.flush();
    const count = () => members.reduce((n, m) => n + m.lines.length - 1, 0);
    await until('3000 deliveries', () => count() >= 3000, 60_000);
    await hub.flush();
    const all = members.flatMap((m) => m.lines.slice(1).map((l) => Number(l.split(' ')[1])));
    assert.is(all.length, 3000, 'no duplicates');
    assert.equal([...new Set(all)].length, 3000, 'each exactly once');
    assert.ok(members.every((m) => m.lines.length > 1), 'every member took part');
  });

  inProcessClient('bad input: invalid topics and oversized payloads are refused with typed errors; the bus goes on', async () => {
    const { hub, url } = await hubOn('bad', { maxFrameSize: 64 * 1024 });
    const bus = await Bus.connect(url, { maxFrameSize: 64 * 1024 });
    open.push(bus);
    await rejectsWith(() => bus.publish('a..b', 1), InvalidTopicError);
    await rejectsWith(() => bus.publish('a.*', 1), InvalidTopicError);
    await rejectsWith(() => bus.publish('big', new Uint8Array(128 * 1024)), FrameTooLargeError);
    const got: unknown[] = [];
    hub.subscribe('ok').subscribe((m) => got.push(m.data));
    await hub.flush();
    await bus.publish('ok', 'still fine');
    await bus.flush();
    await until('delivery', () => got.length === 1);
    assert.equal(got, ['still fine']);
  });

  inProcessClient('byte payloads of every bin size arrive intact and in order among other values', async () => {
    const { hub, url } = await hubOn('bytes');
    const bus = await Bus.connect(url);
    open.push(bus);
    const got: unknown[] = [];
    hub.subscribe('b.*').subscribe((m) => got.push(m.data));
    await hub.flush();
    const sizes = [0, 1, 64, 255, 256, 1024, 1025, 4096, 65_535, 65_536, 300_000];
    const sent: unknown[] = [];
    for (const [i, n] of sizes.entries()) {
      const bytes = new Uint8Array(n).map((_, j) => (i * 7 + j) & 0xff);
      void bus.publish('b.bytes', bytes);
      bytes.fill(0xee); // published values are copied: changing one afterwards changes nothing
      sent.push(new Uint8Array(n).map((_, j) => (i * 7 + j) & 0xff), { i });
      void bus.publish('b.obj', { i });
    }
    await bus.flush();
    await until('every message', () => got.length === sent.length, 30_000);
    const plain = (v: unknown): unknown => (v instanceof Uint8Array ? [...v] : v);
    assert.equal(got.map(plain), sent.map(plain));
    // Byte payloads arrive as plain Uint8Arrays (views of the received frame), never Buffers.
    assert.ok(got.filter((v) => v instanceof Uint8Array).every((v) => !Buffer.isBuffer(v)));
  });

  inProcessClient('a burst of 64 KiB byte payloads, far more than a buffer holds, arrives whole and in order', async () => {
    const { hub, url } = await hubOn('burst');
    const bus = await Bus.connect(url);
    open.push(bus);
    let next = 0;
    let bad = 0;
    hub.subscribe('burst').subscribe((m) => {
      const d = m.data as Uint8Array;
      if (d.length !== (next % 3 === 0 ? 70 : 65_536) || d[0] !== (next & 0xff) || d[d.length - 1] !== (next & 0xff)) bad++;
      next++;
    });
    await hub.flush();
    const count = 600; // ~26 MiB: past a 4 MiB shm ring, a socket's buffers, a queue's limits
    let last: Promise<void> = Promise.resolve();
    for (let i = 0; i < count; i++) last = bus.publish('burst', new Uint8Array(i % 3 === 0 ? 70 : 65_536).fill(i & 0xff));
    await last;
    await bus.flush();
    await until('every payload', () => next === count, 60_000);
    assert.is(bad, 0, 'every payload whole, in order');
  });

  inProcessClient('a small byte payload past a small maxFrameSize is refused with FrameTooLargeError', async () => {
    // Payload and frame both past the limit (NATS limits payloads, the others frames).
    const { hub, url } = await hubOn('smallmax', { maxFrameSize: 4096 });
    const bus = await Bus.connect(url, { maxFrameSize: 4096 });
    open.push(bus);
    await rejectsWith(() => bus.publish('big', new Uint8Array(5000)), FrameTooLargeError);
    const got: unknown[] = [];
    hub.subscribe('ok').subscribe((m) => got.push(m.data));
    await hub.flush();
    await bus.publish('ok', new Uint8Array([1, 2, 3]));
    await bus.flush();
    await until('delivery', () => got.length === 1);
    assert.equal([...(got[0] as Uint8Array)], [1, 2, 3]);
  });

  inProcessClient('an undecodable payload is skipped, counted and evented; the Observable goes on', async () => {
    const { hub, url } = await hubOn('badpayload');
    // A codec that lies: it claims msgpack's id but sends bytes that are no msgpack at all.
    const liar = { id: 1, name: 'liar', encode: (v: unknown) => v as Uint8Array, decode: (b: Uint8Array) => b };
    const bad = await Bus.connect(url, { codec: liar });
    const json = await Bus.connect(url, { codec: 'json' });
    open.push(bad, json);
    const got: unknown[] = [];
    const events: BusEvent[] = [];
    hub.events.subscribe((e) => events.push(e));
    hub.subscribe('p.*').subscribe({ next: (m) => got.push(m.data), error: () => got.push('ERRORED') });
    await hub.flush();
    await bad.publish('p.bad', new Uint8Array([0xc1, 0xc1, 0xc1]));
    await bad.flush();
    await json.publish('p.json', { fine: true });
    await json.flush();
    await until('the good message', () => got.length >= 1);
    assert.equal(got, [{ fine: true }], 'a JSON publisher reaches a msgpack hub; the bad one is skipped');
    assert.ok(events.some((e) => e.type === 'bad-payload' && e.topic === 'p.bad'));
    assert.is(hub.stats().badPayloads, 1);
  });

  if (fixture.capabilities.crossProcess && fixture.capabilities.peerDeathEvents) {
    test('a peer killed with SIGKILL leaves (peer-left); the hub keeps serving the others', async () => {
      const { hub, url } = await hubOn('kill');
      const left: BusEvent[] = [];
      hub.events.subscribe((e) => { if (e.type === 'peer-left') left.push(e); });
      const doomed = peer(hub, url, 'subscriber', 'k.*');
      const other = peer(hub, url, 'subscriber', 'k.*');
      await doomed.waitLine(/^ready$/);
      await other.waitLine(/^ready$/);
      doomed.kill('SIGKILL');
      await until('peer-left', () => left.length >= 1, 30_000);
      for (let i = 0; i < 100; i++) await hub.publish('k.v', { i });
      await until('the other gets all', () => other.lines.length >= 101, 30_000);
      assert.is(other.lines.at(-1), 'k.v 99');
    });

    test('a stalled subscriber is disconnected after maxStall (slow-consumer); others go on', async () => {
      const { hub, url } = await hubOn('stall', { maxStall: 1000 });
      const slow: BusEvent[] = [];
      hub.events.subscribe((e) => { if (e.type === 'slow-consumer') slow.push(e); });
      const stalled = peer(hub, url, 'stalled', 's.*');
      const fine = peer(hub, url, 'subscriber', 's.*');
      await stalled.waitLine(/^ready$/);
      await fine.waitLine(/^ready$/);
      const big = 'x'.repeat(4000);
      const sending = (async () => {
        for (let i = 0; i < 3000; i++) await hub.publish('s.v', { i, big });
      })();
      await within(60_000, 'publishing past a stalled subscriber', sending);
      await until('slow-consumer event', () => slow.length >= 1, 30_000);
      await until('the fine subscriber gets all', () => fine.lines.length >= 3001, 60_000);
    });
  }

  semanticsCases({ test, fixture, open, hubOn, peer, inProcessClient });
  loanCases({ test, open, hubOn, inProcessClient });

  inProcessClient('close() of every bus leaves nothing behind', async () => {
    const { hub, url } = await hubOn('leftovers');
    const bus = await Bus.connect(url);
    await bus.publish('x', 1);
    await bus.close();
    await hub.close();
    open.length = 0;
    assert.equal(await fixture.leftovers(url), []);
  });

  test.run();
}
