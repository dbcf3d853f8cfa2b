/**
 * `overflow: 'wait'` on nats:// against a real nats-server: a full iterator buffer pauses the
 * fabric, so the bus stops handing messages on (they wait in the process, in order); past
 * `maxPendingBytes` messages are dropped, counted and reported as a slow consumer, never lost
 * silently; drain hands what waited to the iterator before closing.
 * Skips with a visible reason when nats-server is not installed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import type { BusEvent } from '../../src/bus/events.js';
import { NatsServer, natsServerAvailable } from '../helpers/nats-server.js';
import { uniqueName } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

/** The Bus's counters; `paused` and `droppedWhilePaused` are NatsFabric's. */
const counters = (bus: Bus) => {
  const s = bus.stats();
  return { ...s, paused: s.paused ?? -1, droppedWhilePaused: s.droppedWhilePaused ?? -1 };
};

async function take(it: AsyncIterator<{ data: unknown }>, n: number): Promise<unknown[]> {
  const out: unknown[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value.data);
  }
  return out;
}

if (!natsServerAvailable()) {
  test('overflow wait on nats:// SKIPPED: nats-server is not installed (apt-get install -y nats-server)', () => {
    console.log('SKIP test/nats/overflow-wait: nats-server is not installed (apt-get install -y nats-server)');
  });
} else {
  let server: NatsServer;
  test.before(async () => { server = await NatsServer.start(); });
  test.after(async () => { await server.kill(); });

  test('a full iterator with overflow wait stops delivery on nats://; what waited arrives in order, nothing dropped', async () => {
    const p = uniqueName('wait');
    const sub = await Bus.connect(server.url);
    const pub = await Bus.connect(server.url);
    try {
      const it = sub.subscribe(`${p}.v`, { bufferSize: 8, overflow: 'wait' })[Symbol.asyncIterator]();
      const seen: number[] = [];
      sub.subscribe(`${p}.v`).subscribe((m) => seen.push(m.data as number));
      await sub.flush();
      for (let i = 0; i < 100; i++) await pub.publish(`${p}.v`, i);
      await pub.flush();
      // Both NATS subscriptions received everything: the fabric read on, the bus did not hand on.
      await until('all 200 deliveries reached the fabric', () => counters(sub).received === 200);
      assert.ok(seen.length < 100, `delivery stopped while the iterator was full (saw ${seen.length} of 100)`);
      assert.ok(counters(sub).paused > 0, 'messages wait in the fabric');
      const read = await within(20_000, 'reading 100 messages', take(it, 100));
      assert.equal(read, [...Array(100).keys()], 'the iterator got every message, in order');
      await until('the other subscription got everything once the bus resumed', () => seen.length === 100);
      assert.equal(seen, [...Array(100).keys()]);
      const c = counters(sub);
      assert.is(c.paused, 0);
      assert.is(c.droppedWhilePaused, 0);
      assert.is(c.dropped, 0);
    } finally {
      await sub.close();
      await pub.close();
    }
  });

  test('past maxPendingBytes a paused nats:// bus drops, counts and reports a slow consumer', async () => {
    const p = uniqueName('over');
    const sub = await Bus.connect(server.url, { maxPendingBytes: 2048 });
    const pub = await Bus.connect(server.url);
    try {
      const events: BusEvent[] = [];
      sub.events.subscribe((e) => events.push(e));
      const it = sub.subscribe(`${p}.v`, { bufferSize: 2, overflow: 'wait' })[Symbol.asyncIterator]();
      await sub.flush();
      const pad = 'x'.repeat(100);
      for (let i = 0; i < 100; i++) await pub.publish(`${p}.v`, { i, pad });
      await pub.flush();
      await until('all 100 reached the fabric', () => counters(sub).received === 100);
      const c = counters(sub);
      assert.ok(c.droppedWhilePaused > 0, 'some were dropped past the bound');
      assert.ok(c.slowConsumers >= 1, 'counted as a slow consumer');
      assert.ok(events.some((e) => e.type === 'slow-consumer'), 'a slow-consumer event was emitted');
      const kept = 100 - c.droppedWhilePaused;
      const read = (await within(20_000, `reading ${kept} messages`, take(it, kept))) as Array<{ i: number }>;
      assert.is(read.length, kept, 'delivered + dropped = published: nothing lost silently');
      assert.equal(read.map((m) => m.i), [...Array(kept).keys()], 'the oldest were kept, in order; the newest dropped');
      await until('nothing waits any more', () => counters(sub).paused === 0);
    } finally {
      await sub.close();
      await pub.close();
    }
  });

  test('drain on a paused nats:// bus hands what waited to the iterator, then closes', async () => {
    const p = uniqueName('drain');
    const sub = await Bus.connect(server.url);
    const pub = await Bus.connect(server.url);
    try {
      const it = sub.subscribe(`${p}.v`, { bufferSize: 4, overflow: 'wait' })[Symbol.asyncIterator]();
      await sub.flush();
      for (let i = 0; i < 20; i++) await pub.publish(`${p}.v`, i);
      await pub.flush();
      await until('all 20 reached the fabric', () => counters(sub).received === 20);
      assert.ok(counters(sub).paused > 0);
      const drained = sub.drain({ timeout: 20_000 });
      const read = await within(20_000, 'reading 20 messages during drain', take(it, 20));
      assert.equal(read, [...Array(20).keys()]);
      await within(20_000, 'drain', drained);
      assert.equal(await it.next(), { value: undefined, done: true }, 'the iterator ends after drain');
    } finally {
      await sub.close();
      await pub.close();
    }
  });
}

test.run();
