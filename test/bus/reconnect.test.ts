/**
 * Reconnect options of a client bus: off, giving up, failing or waiting gap publishes, flush
 * across a gap. Hubs that die for real are child processes (`unibus hub`) killed with SIGKILL.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/bus/bus.js';
import type { BusEvent } from '../../src/bus/events.js';
import { DisconnectedError, PeerGoneError } from '../../src/errors.js';
import { spawnNode, type Child } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { rejectsWith, until, within } from '../helpers/watchdog.js';

const cliPath = fileURLToPath(new URL('../../../bin/unibus.js', import.meta.url));
const children: Child[] = [];
const open: Bus[] = [];
const sockets: string[] = [];

async function childHub(label: string): Promise<{ child: Child; url: string }> {
  const url = `unix:///tmp/${uniqueName(label)}.sock`;
  sockets.push(new URL(url).pathname);
  const child = spawnNode(cliPath, ['hub', url]);
  children.push(child);
  await child.waitLine(/^listening /);
  return { child, url };
}

test.after.each(async () => {
  for (const c of children.splice(0)) { c.kill('SIGKILL'); await c.waitExit(); }
  // A hub killed with SIGKILL cannot remove its socket file (a next hub would replace it).
  for (const p of sockets.splice(0)) rmSync(p, { force: true });
  for (const b of open.splice(0).reverse()) await b.close();
});

test('reconnect: false: the hub dying ends subscriptions with PeerGoneError', async () => {
  const { child, url } = await childHub('rc-off');
  const bus = await Bus.connect(url, { reconnect: false });
  open.push(bus);
  let ended: unknown;
  bus.subscribe('a').subscribe({ error: (e: unknown) => { ended = e; } });
  await bus.flush();
  child.kill('SIGKILL');
  await until('the subscription errors', () => ended, 30_000);
  assert.instance(ended, PeerGoneError);
});

test('reconnect: false: a hub closing cleanly completes subscriptions', async () => {
  const url = `memory://${uniqueName('rc-clean')}`;
  const hub = await Bus.listen(url);
  const bus = await Bus.connect(url, { reconnect: false });
  open.push(bus);
  let completed = false;
  bus.subscribe('a').subscribe({ complete: () => { completed = true; } });
  await bus.flush();
  await hub.close();
  await until('completed', () => completed, 30_000);
});

test('giveUpAfter: after that long without a hub, publishes fail and subscriptions end', async () => {
  const { child, url } = await childHub('rc-giveup');
  const bus = await Bus.connect(url, { reconnect: { giveUpAfter: 300, initialDelay: 20, maxDelay: 50, bufferBytes: 0, maxWait: 60_000 } });
  open.push(bus);
  const events: BusEvent[] = [];
  bus.events.subscribe((e) => events.push(e));
  let ended: unknown;
  bus.subscribe('a').subscribe({ error: (e: unknown) => { ended = e; } });
  await bus.flush();
  child.kill('SIGKILL');
  await until('disconnected', () => events.some((e) => e.type === 'disconnected'), 30_000);
  const waiting = bus.publish('a', 1); // no room (bufferBytes 0): waits, then fails on give-up
  await rejectsWith(() => within(30_000, 'give-up', waiting), DisconnectedError);
  await until('subscription ended', () => ended, 30_000);
  assert.instance(ended, PeerGoneError);
  assert.ok(events.some((e) => e.type === 'disconnected' && e.reconnecting === false));
  await rejectsWith(() => bus.publish('a', 2), DisconnectedError);
});

test('bufferBytes 0 and maxWait 0: a publish during the gap fails at once with DisconnectedError', async () => {
  const url = `memory://${uniqueName('rc-fail')}`;
  const hub = await Bus.listen(url);
  const bus = await Bus.connect(url, { reconnect: { bufferBytes: 0, maxWait: 0 } });
  open.push(bus);
  const events: BusEvent[] = [];
  bus.events.subscribe((e) => events.push(e));
  await hub.close();
  await until('disconnected', () => events.some((e) => e.type === 'disconnected'), 30_000);
  await rejectsWith(() => bus.publish('a', 1), DisconnectedError);
});

test('a small hold: publishes past bufferBytes wait up to maxWait, then fail; held ones are sent after the reconnect', async () => {
  const url = `memory://${uniqueName('rc-hold')}`;
  const first = await Bus.listen(url);
  const bus = await Bus.connect(url, { reconnect: { bufferBytes: 1000, maxWait: 200, initialDelay: 20, maxDelay: 50 } });
  open.push(bus);
  const got: number[] = [];
  bus.subscribe('h').subscribe((m) => got.push(m.data as number));
  await bus.flush();
  const events: BusEvent[] = [];
  bus.events.subscribe((e) => events.push(e));
  await first.close();
  await until('disconnected', () => events.some((e) => e.type === 'disconnected'), 30_000);
  for (let i = 0; i < 5; i++) await bus.publish('h', i); // 5 x ~66 bytes: held at once
  // No room for this one (over bufferBytes): it waits maxWait, then fails and is not sent.
  await rejectsWith(() => bus.publish('h', 'x'.repeat(2000) as never), DisconnectedError);
  const flushed = bus.flush({ timeout: 30_000 }); // waits for the hub to come back
  const second = await Bus.listen(url);
  open.push(second);
  await flushed;
  await until('held delivered', () => got.length >= 5, 30_000);
  await bus.publish('h', 5);
  await bus.flush();
  await until('after the reconnect', () => got.length >= 6, 30_000);
  assert.equal(got, [0, 1, 2, 3, 4, 5], 'held ones in order; the refused one never sent');
  assert.is(bus.stats().reconnects, 1);
});

test.run();
