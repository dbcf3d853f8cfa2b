/**
 * One slow reader must not slow everyone (issue 13, item 3). The slow reader is a real process
 * speaking the protocol over a Unix socket that stops reading; the hub and a fast subscriber run
 * here. Assertions are on progress and counts (with generous watchdogs), never on speed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import type { BusEvent } from '../../src/bus/events.js';
import { script, spawnNode, type Child } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const slowReader = script(import.meta.url, './peers/slow-reader.js');
const children: Child[] = [];
const open: Bus[] = [];

test.after.each(async () => {
  for (const c of children.splice(0)) { c.kill('SIGKILL'); await c.waitExit(); }
  for (const b of open.splice(0).reverse()) await b.close();
});

async function setup(label: string, hubOptions: Record<string, number>, readMs: number, stallMs: number) {
  const path = `/tmp/${uniqueName(label)}.sock`;
  const hub = await Bus.listen(`unix://${path}`, hubOptions);
  open.push(hub);
  const events: BusEvent[] = [];
  hub.events.subscribe((e) => events.push(e));
  const fast = await Bus.connect(`unix://${path}`, { name: 'fast' });
  open.push(fast);
  const got: number[] = [];
  fast.subscribe('s.>').subscribe((m) => got.push((m.data as { i: number }).i));
  await fast.flush();
  const slow = spawnNode(slowReader, [path, String(readMs), String(stallMs)]);
  children.push(slow);
  await slow.waitLine(/^ready$/, 30_000);
  return { hub, events, got, slow, path };
}

const big = 'x'.repeat(4000);

test('a subscriber that reads 0.3 s every 4 s is dropped as a slow consumer, told by ERR; the fast one gets everything', async () => {
  // A generous grace and bound: this machine may be loaded, and the fast subscriber must never
  // be mistaken for a slow one (it shares this process with the publishing hub).
  const { hub, events, got, slow } = await setup('slow-periodic', { maxPendingBytes: 16 << 20, backpressureGrace: 1000 }, 300, 3700);
  const n = 10_000; // 40 MB: far past what the slow reader's socket, connection and outbox hold
  // Sent while it has stopped reading: a fast machine published all 40 MB inside its first
  // 0.3 s of reading (300 ms here), and nothing was ever held for it.
  await slow.waitLine(/^paused$/, 30_000);
  await within(120_000, 'publishing past a slow reader', (async () => {
    for (let i = 0; i < n; i++) await hub.publish('s.v', { i, big });
  })());
  await until('the fast subscriber gets all', () => got.length >= n, 120_000);
  assert.ok(got.every((v, i) => v === i), 'the fast subscriber: all, in order, none lost');
  await until('slow-consumer event on the hub', () => events.some((e) => e.type === 'slow-consumer'), 30_000);
  assert.is(hub.stats().slowConsumers, 1);
  // The slow reader reads again within maxStall: it gets the ERR before the end.
  await slow.waitLine(/^closed /, 30_000);
  assert.ok(slow.lines.includes('err ERR_UNIBUS_SLOW_CONSUMER'), `ERR before the close: ${slow.lines.join(' | ')}`);
  const left = events.find((e) => e.type === 'peer-left' && e.peer.name === 'slow-reader');
  assert.ok(left && left.type === 'peer-left' && left.reason === 'slow-consumer', 'peer-left says slow-consumer');
});

test('while a subscriber is stalled (maxStall 60 s), the others keep receiving: its bytes are bounded, not its time', async () => {
  const { hub, events, got, path } = await setup('slow-stalled', { maxPendingBytes: 16 << 20, backpressureGrace: 1000, maxStall: 60_000 }, 0, 600_000);
  const n = 10_000;
  // Before the fix the hub stopped reading from everyone while the stalled reader was full:
  // these publishes waited for maxStall (60 s) and the watchdog fired.
  await within(45_000, 'publishing while a subscriber is stalled', (async () => {
    for (let i = 0; i < n; i++) await hub.publish('s.v', { i, big });
  })());
  await until('the fast subscriber gets all while the other is stalled', () => got.length >= n, 45_000);
  assert.ok(got.every((v, i) => v === i), 'all, in order');
  assert.ok(events.some((e) => e.type === 'slow-consumer' && /maxPendingBytes/.test(e.detail)), 'dropped by its byte bound');
  // The stalled reader is still connected (never read): closing the hub ends it and removes the socket.
  await hub.close();
  assert.not.ok(existsSync(path), 'socket removed');
});

test('hub options: a maxPendingBytes that is not a positive number is a RangeError, nothing created', async () => {
  const path = `/tmp/${uniqueName('bad-limit')}.sock`;
  try {
    await Bus.listen(`unix://${path}`, { maxPendingBytes: -1 });
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, RangeError);
    assert.match((err as Error).message, /maxPendingBytes/);
  }
  assert.not.ok(existsSync(path));
});

test.run();
