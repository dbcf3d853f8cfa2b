import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, stat, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileLock, withLock } from '../../src/sync/file-lock.js';
import { AbortedError, ClosedError, TimeoutError } from '../../src/errors.js';
import { tmpDir } from '../helpers/run-id.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { within } from '../helpers/watchdog.js';
import { removeTmp } from './cleanup.js';

const holder = script(import.meta.url, './file-lock-holder.js');
const dir = tmpDir('filelock');
const children = new ChildSet();
let n = 0;
const fresh = (): string => join(dir, `f${(n += 1)}.lock`);

test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

test('another process waits until release; closing another fd in the holder keeps the lock', async () => {
  const path = fresh();
  const child = children.add(spawnNode(holder, [path, 'exclusive']));
  await child.waitLine(/^held/);
  await using lock = new FileLock(path);
  assert.not.ok(lock.tryAcquire());
  const events: string[] = [];
  const waiting = lock.acquire({ timeout: 20_000 }).then(() => events.push('acquired'));
  child.proc.stdin!.write('close-other\n');
  await child.waitLine(/^closed-other/);
  await new Promise((r) => setTimeout(r, 300)); // give the waiter many tries while it must fail
  assert.equal(events, [], 'the lock survived closing another descriptor');
  assert.not.ok(lock.held);
  events.push('release');
  child.proc.stdin!.write('release\n');
  await within(10_000, 'acquire after release', waiting);
  assert.equal(events, ['release', 'acquired']);
  assert.ok(lock.held);
  child.proc.stdin!.write('exit\n');
  await child.waitExit();
});

test('closing another descriptor in this process keeps the lock too', async () => {
  const path = fresh();
  const lock = new FileLock(path);
  assert.ok(lock.tryAcquire());
  writeFileSync(path, 'data'); // opens and closes another descriptor of the file
  readFileSync(path);
  const other = children.add(spawnNode(holder, [path, 'exclusive']));
  await new Promise((r) => setTimeout(r, 300));
  assert.not.ok(other.lines.some((l) => l.startsWith('held')));
  lock.close();
  await other.waitLine(/^held/);
  other.proc.stdin!.write('exit\n');
  await other.waitExit();
});

test('shared locks coexist and keep an exclusive one out', async () => {
  const path = fresh();
  const r1 = children.add(spawnNode(holder, [path, 'shared']));
  const r2 = children.add(spawnNode(holder, [path, 'shared']));
  await Promise.all([r1.waitLine(/^held/), r2.waitLine(/^held/)]);
  using reader = new FileLock(path, { kind: 'shared' });
  assert.ok(reader.tryAcquire());
  reader.release();
  using writer = new FileLock(path);
  assert.not.ok(writer.tryAcquire());
  assert.is(writer.conflict()?.kind, 'shared');
  const holders = await writer.holders();
  assert.equal(holders.map((h) => h.pid).sort(), [r1.pid, r2.pid].sort());
  assert.ok(holders.every((h) => h.kind === 'shared' && h.type === 'OFDLCK' && h.end === Infinity));
  r1.proc.stdin!.write('exit\n');
  await r1.waitExit();
  assert.not.ok(writer.tryAcquire());
  r2.proc.stdin!.write('exit\n');
  await r2.waitExit();
  await writer.acquire({ timeout: 10_000 });
});

test('byte ranges: disjoint ranges do not conflict, overlapping ones do', async () => {
  const path = fresh();
  const child = children.add(spawnNode(holder, [path, 'exclusive', '0', '10']));
  await child.waitLine(/^held/);
  using right = new FileLock(path, { start: 10, len: 10 });
  assert.ok(right.tryAcquire());
  using overlap = new FileLock(path, { start: 5, len: 10 });
  assert.not.ok(overlap.tryAcquire());
  const c = overlap.conflict();
  assert.equal([c?.kind, c?.start, c?.len], ['exclusive', 0, 10]);
  const holders = await overlap.holders();
  assert.ok(holders.some((h) => h.pid === child.pid && h.start === 0 && h.end === 9));
  child.proc.stdin!.write('exit\n');
  await child.waitExit();
  assert.ok(overlap.tryAcquire() === false, 'still overlaps our own other lock on 10..19');
  right.release();
  assert.ok(overlap.tryAcquire());
});

test('a holder killed with SIGKILL frees the lock', async () => {
  const path = fresh();
  const child = children.add(spawnNode(holder, [path, 'exclusive']));
  await child.waitLine(/^held/);
  using lock = new FileLock(path);
  const waiting = lock.acquire({ timeout: 20_000 });
  child.kill('SIGKILL');
  await within(10_000, 'acquire after SIGKILL', waiting);
  assert.ok(lock.held);
});

test('timeout, abort and close end a wait; fs keeps working meanwhile', async () => {
  const path = fresh();
  using owner = new FileLock(path);
  assert.ok(owner.tryAcquire());
  const a = new FileLock(path);
  const t0 = Date.now();
  const err1 = await a.acquire({ timeout: 100 }).catch((e: unknown) => e);
  assert.instance(err1, TimeoutError);
  assert.ok(Date.now() - t0 >= 95);
  const ac = new AbortController();
  const p2 = a.acquire({ signal: ac.signal }).catch((e: unknown) => e);
  // waits park no pool thread: fs still completes while 20 waits are pending
  const more = Array.from({ length: 20 }, () => new FileLock(path));
  const pending = more.map((l) => l.acquire().catch((e: unknown) => e));
  await within(5000, 'fs.stat during waits', new Promise((r, j) => stat(path, (e, s) => (e ? j(e) : r(s)))));
  ac.abort(new Error('stop'));
  assert.instance(await p2, AbortedError);
  const p3 = a.acquire().catch((e: unknown) => e);
  a.close();
  assert.instance(await p3, ClosedError);
  assert.instance(await a.acquire().catch((e: unknown) => e), ClosedError);
  for (const l of more) l.close();
  for (const e of await Promise.all(pending)) assert.instance(e, ClosedError);
});

test('one FileLock object is an in-process mutex: a second acquire waits for release', async () => {
  const lock = new FileLock(fresh());
  await lock.acquire();
  let second = false;
  const p = lock.acquire().then(() => { second = true; });
  await new Promise((r) => setTimeout(r, 50));
  assert.not.ok(second);
  lock.release();
  await within(5000, 'second acquire', p);
  assert.ok(second);
  lock.close();
});

test('withLock: 4 processes x 40 read-modify-write increments lose none', async () => {
  const path = fresh();
  writeFileSync(`${path}.n`, '0');
  const counters = [0, 1, 2, 3].map(() => children.add(spawnNode(holder, [path, 'count', '40'])));
  await Promise.all(counters.map((c) => c.waitExit(120_000)));
  assert.ok(counters.every((c) => c.lines.includes('counted')), counters.map((c) => c.stderr).join('\n'));
  assert.is(readFileSync(`${path}.n`, 'utf8'), '160');
  const value = await withLock(path, (l) => (l.held ? 'inside' : 'no'));
  assert.is(value, 'inside');
  assert.ok(statSync(path).mode % 0o1000 === 0o600);
});

test('bad arguments throw TypeError or RangeError', () => {
  assert.throws(() => new FileLock(''), TypeError);
  assert.throws(() => new FileLock(fresh(), { start: -1 }), RangeError);
  assert.throws(() => new FileLock(fresh(), { kind: 'weird' as 'shared' }), TypeError);
  assert.throws(() => new FileLock(dir).tryAcquire(), (e: unknown) => (e as { code?: string }).code === 'EISDIR');
});

test.run();
