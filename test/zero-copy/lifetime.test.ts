/**
 * Zero-copy lifetime rules on shm:// (docs/zero-copy.md), tried as a hostile user would: `m.data`
 * is zero-length after release while a view kept from before never crashes (not after reuse, not
 * after close), a receiver maps a pool once however many samples it holds, maxHold revokes, a loan
 * forgotten unpublished comes back with a warning, a full pool makes loan() wait (timeout, abort),
 * garbage and stale descriptors never deliver, and nothing is left in /dev/shm after the CLI
 * hub's SIGINT or after a hub crash followed by a new hub.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bus } from '../../src/bus/bus.js';
import type { BusEvent } from '../../src/bus/events.js';
import type { FabricStatus } from '../../src/bus/fabric.js';
import { HubFabric } from '../../src/bus/hub/hub-fabric.js';
import { AbortedError, ClosedError, TimeoutError } from '../../src/errors.js';
import { encodeDescriptor, SAMPLE_CODEC } from '../../src/zero-copy/descriptor.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';
import { ChildSet, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { rejectsWith, until } from '../../src/transport-kit/conformance/watchdog.js';

const cliPath = fileURLToPath(new URL('../../../bin/unibus.js', import.meta.url));
const children = new ChildSet();
const entries = (name: string): string[] => readdirSync('/dev/shm').filter((n) => n.includes(name));
const pools = (name: string): string[] => entries(name).filter((n) => n.includes('~pool.'));

test.after.each(() => children.killAll());

/** Mappings of `name`'s pools in this process (/proc/self/maps lines). */
const poolMappings = (name: string): string[] =>
  readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(name) && l.includes('~pool.'));
setFlagsFromString('--expose-gc');
/** A full garbage collection (the flag above makes `gc` visible to new contexts). */
const gc = runInNewContext('gc') as () => void;

async function trio(label: string, pool = '256KiB'): Promise<{ name: string; hub: Bus; pub: Bus; sub: Bus; close(): Promise<void> }> {
  const name = uniqueName(label);
  const url = `shm://${name}?pool=${pool}`;
  const hub = await Bus.listen(url);
  const pub = await Bus.connect(url);
  const sub = await Bus.connect(url);
  return { name, hub, pub, sub, close: async () => { await pub.close(); await sub.close(); await hub.close(); } };
}

test('m.data is zero-length after release; held reports it; a view kept from before reads the reused slot and never crashes, not even after close', async () => {
  const t = await trio('zcrel', '64KiB'); // one block: every loan reuses it
  const kept: Uint8Array[] = [];
  try {
    const got: SampleMessage[] = [];
    t.sub.subscribe('r.x', { zeroCopy: true }).subscribe((m) => got.push(m));
    await t.sub.flush();
    for (let i = 1; i <= 3; i++) {
      const s = await t.pub.loan('r.x', 1000, { timeout: 20_000 });
      s.data.fill(i);
      await s.publish();
      await until(`sample ${i}`, () => got.length >= i, 20_000);
      const m = got[i - 1]!;
      assert.ok(m.held && m.data.length === 1000 && m.data.every((b) => b === i), `sample ${i} intact while held`);
      kept.push(m.data);
      m.release();
      assert.not.ok(m.held);
      assert.is(m.data.length, 0, 'm.data is zero-length after release');
      // What docs/zero-copy.md warns about: a view kept past release sees the slot's next sample.
      if (i > 1) assert.ok(kept[i - 2]!.every((b) => b === i), 'a kept view reads the reused slot');
    }
  } finally {
    await t.close();
  }
  assert.equal(entries(t.name), []);
  // The pool is closed and its name gone; reading what was kept must not crash.
  assert.ok(kept.every((v) => v.length === 1000 && v.every((b) => b === 3)), 'kept views readable after close');
});

/** Holds eight samples on one pool, releases them, closes; returns one view kept past all that. */
async function holdEightThenClose(t: Awaited<ReturnType<typeof trio>>): Promise<{ kept?: Uint8Array }> {
  const got: SampleMessage[] = [];
  try {
    t.sub.subscribe('m.x', { zeroCopy: true }).subscribe((m) => got.push(m));
    await t.sub.flush();
    const publishOne = async (): Promise<void> => {
      const s = await t.pub.loan('m.x', 1000, { timeout: 20_000 });
      await s.publish();
    };
    await publishOne();
    await until('first sample', () => got.length === 1, 20_000);
    const withOne = poolMappings(t.name).length;
    for (let i = 0; i < 7; i++) await publishOne();
    await until('eight samples held', () => got.length === 8, 20_000);
    assert.is(poolMappings(t.name).length, withOne, 'no mapping per sample');
    const box = { kept: got[0]!.data };
    for (const m of got) m.release();
    got.length = 0; // the subscription's closure may outlive close(): drop the messages
    return box;
  } finally {
    await t.close();
  }
}

test('a receiver maps a pool once, however many samples it holds; the mapping goes once no view can reach it', async () => {
  const t = await trio('zcmap', '1MiB');
  // In a function of its own: a suspended async function may keep its temporaries reachable.
  const box = await holdEightThenClose(t);
  assert.equal(entries(t.name), []);
  assert.ok(poolMappings(t.name).length > 0, 'a kept view keeps its mapping');
  assert.is(box.kept!.length, 1000);
  delete box.kept;
  await until('pool unmapped after its views were collected', () => {
    gc();
    return poolMappings(t.name).length === 0;
  }, 20_000).catch((err) => { throw new Error(`${(err as Error).message}: ${poolMappings(t.name).join(' | ')}`); });
});

/** Loans `size` bytes and drops the sample after its turn (a function of its own: nothing else keeps it). */
async function loanAndForget(bus: Bus, topic: string, size: number): Promise<void> {
  const s = await bus.loan(topic, size, { timeout: 20_000 });
  s.data[0] = 1;
  await new Promise((resolve) => setImmediate(resolve)); // past its turn: the backstop is armed
}

test('a loan garbage-collected unpublished goes back to the pool with an UnibusWarning; a released one warns nothing', async () => {
  const t = await trio('zcforget', '64KiB'); // one block: the next loan needs it back
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    if (w.name === 'UnibusWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    const released = await t.pub.loan('g.x', 100);
    await new Promise((resolve) => setImmediate(resolve));
    released.release();
    await loanAndForget(t.pub, 'g.x', 65536);
    assert.is(t.pub.tryLoan('g.x', 100), undefined, 'the forgotten loan still holds the only block');
    await until('the forgotten loan came back', () => {
      gc();
      const again = t.pub.tryLoan('g.x', 100);
      again?.release();
      return again !== undefined;
    }, 20_000);
    await until('warned', () => warnings.length > 0, 20_000);
    assert.is(warnings.length, 1, `one warning, for the forgotten loan only: ${warnings.join(' | ')}`);
    assert.match(warnings[0]!, /garbage-collected without publish\(\) or release\(\)/);
  } finally {
    process.off('warning', onWarning);
    await t.close();
  }
});

test('a full pool: loan() waits, then TimeoutError / AbortedError / ClosedError on close(); a release lets the next loan through', async () => {
  const t = await trio('zcfull', '64KiB');
  try {
    const got: SampleMessage[] = [];
    t.sub.subscribe('f.x', { zeroCopy: true }).subscribe((m) => got.push(m));
    await t.sub.flush();
    const s = await t.pub.loan('f.x', 65536);
    await s.publish();
    await until('held', () => got.length === 1, 20_000);
    await rejectsWith(() => t.pub.loan('f.x', 10, { timeout: 200 }), TimeoutError);
    const ac = new AbortController();
    const waiting = t.pub.loan('f.x', 10, { signal: ac.signal, timeout: 60_000 });
    setTimeout(() => ac.abort(), 100);
    await rejectsWith(() => waiting, AbortedError);
    await rejectsWith(() => t.pub.loan('f.x', 65537), RangeError);
    const next = t.pub.loan('f.x', 10, { timeout: 60_000 });
    got[0]!.release();
    (await next).release();
    // close() wakes a loan that waits for room.
    await (await t.pub.loan('f.x', 65536)).publish();
    await until('held again', () => got.length === 2, 20_000);
    const pending = t.pub.loan('f.x', 10, { timeout: 60_000 });
    await t.pub.close();
    await rejectsWith(() => pending, ClosedError);
  } finally {
    await t.close();
  }
  assert.equal(entries(t.name), []);
});

test('maxHold: a sample held too long is revoked (data zero-length), reported as slow-consumer, and its slot comes back', async () => {
  const t = await trio('zchold', '64KiB');
  try {
    const events: BusEvent[] = [];
    t.sub.events.subscribe((e) => events.push(e));
    const got: SampleMessage[] = [];
    t.sub.subscribe('h.x', { zeroCopy: true, maxHold: 200 }).subscribe((m) => got.push(m));
    await t.sub.flush();
    const s = await t.pub.loan('h.x', 100);
    s.data.fill(9);
    await s.publish();
    await until('held', () => got.length === 1, 20_000);
    await until('revoked', () => !got[0]!.held, 20_000);
    assert.is(got[0]!.data.length, 0, 'a revoked message\'s data is zero-length');
    assert.ok(events.some((e) => e.type === 'slow-consumer' && /maxHold=200ms/.test(e.detail)), 'slow-consumer event');
    (await t.pub.loan('h.x', 65536, { timeout: 20_000 })).release(); // the only block is free again
  } finally {
    await t.close();
  }
  assert.equal(entries(t.name), []);
});

test('garbage and stale descriptors are refused by the hub with ERR and never delivered; the bus goes on', async () => {
  const t = await trio('zcbad');
  const raw = await HubFabric.connect(t.hub.url, { busId: 'rawzc' });
  try {
    const statuses: FabricStatus[] = [];
    raw.status.subscribe((s) => statuses.push(s));
    const got: SampleMessage[] = [];
    t.sub.subscribe('g.>', { zeroCopy: true }).subscribe((m) => { got.push(m); m.release(); });
    await t.sub.flush();
    // A real sample, to learn the pool's name and a block's generation.
    const s = await t.pub.loan('g.ok', 10);
    await s.publish();
    await until('the real one', () => got.length === 1, 20_000);
    const pool = `/${entries(t.name).find((n) => n.includes('~pool.'))!}`;
    const bad = [
      new Uint8Array([1, 2, 3]),
      encodeDescriptor({ pool: '/etc-passwd', block: 0, length: 1, generation: 1 }),
      encodeDescriptor({ pool, block: 0, length: 10, generation: 12345 }),  // stale generation
      encodeDescriptor({ pool, block: 0, length: 10, generation: 1 }),      // released: not in flight
      encodeDescriptor({ pool, block: 999_999, length: 10, generation: 1 }),
    ];
    for (const payload of bad) await raw.publish({ topic: 'g.bad', codec: SAMPLE_CODEC, payload });
    await raw.flush();
    await until('an ERR per descriptor', () => statuses.filter((e) => e.type === 'error').length >= bad.length, 20_000);
    const s2 = await t.pub.loan('g.ok', 10);
    await s2.publish();
    await t.pub.flush();
    await until('the next real one', () => got.length === 2, 20_000);
    assert.ok(got.every((m) => m.topic === 'g.ok'), 'nothing bad delivered');
  } finally {
    await raw.close();
    await t.close();
  }
  assert.equal(entries(t.name), []);
});

test('the CLI hub on SIGINT, and a new hub after a hub crash, leave no pool in /dev/shm', async () => {
  const name = uniqueName('zccli');
  const url = `shm://${name}?pool=256KiB`;
  for (const ending of ['SIGINT', 'SIGKILL'] as const) {
    const hubProc = children.add(spawnNode(cliPath, ['hub', url]));
    await hubProc.waitLine(/^listening /, 60_000);
    const pub = await Bus.connect(url, { reconnect: false });
    const sub = await Bus.connect(url, { reconnect: false });
    const got: SampleMessage[] = [];
    // Held, never released; the subscription ends with PeerGoneError when the hub is killed.
    sub.subscribe('c.x', { zeroCopy: true }).subscribe({ next: (m) => got.push(m), error: () => undefined });
    await sub.flush();
    const s = await pub.loan('c.x', 1000);
    await s.publish();
    await until('held', () => got.length === 1, 20_000);
    assert.is(pools(name).length, 1, 'the pool exists while the publisher lives');
    hubProc.kill(ending);
    await hubProc.waitExit();
    await pub.close();
    await sub.close();
    if (ending === 'SIGINT') assert.equal(entries(name), [], 'SIGINT: the hub swept everything');
  }
  // After the crash: a new hub of the name sweeps what was left.
  const hub = await Bus.listen(url);
  assert.equal(pools(name), [], 'a new hub swept the crashed one\'s pool');
  await hub.close();
  assert.equal(entries(name), []);
});

test.run();
