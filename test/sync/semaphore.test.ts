import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, stat } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Semaphore } from '../../src/sync/semaphore.js';
import { AbortedError, ClosedError, PermissionDeniedError, TimeoutError } from '../../src/errors.js';
import { IPC_CREAT, IPC_EXCL, semRemove, semSetValue, semget } from '../../src/native/sysv-sem.js';
import { tmpDir } from '../helpers/run-id.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { within } from '../helpers/watchdog.js';
import { removeTmp } from './cleanup.js';

const worker = script(import.meta.url, './sem-worker.js');
const dir = tmpDir('sem');
const children = new ChildSet();
const made: Semaphore[] = [];
let n = 0;
async function fresh(initial: number): Promise<Semaphore> {
  const sem = await Semaphore.open(join(dir, `s${(n += 1)}`), { initial, create: 'exclusive' });
  made.push(sem);
  return sem;
}
const ipcsHas = (id: number): boolean => execFileSync('ipcs', ['-s'], { encoding: 'utf8' })
  .split('\n').some((l) => l.split(/\s+/)[1] === String(id));

/** Keys of sets made by hand (or by a killed child), removed at the end whatever happened. */
const rawKeys: number[] = [];

test.after(async () => {
  await children.killAll();
  for (const s of made) s.remove();
  for (const key of rawKeys) try { semRemove(semget(key, 0, 0)); } catch { /* removed already */ }
  removeTmp(dir);
});

test('created 0600 from a path; a second open finds the same set; remove() deletes it', async () => {
  const sem = await fresh(2);
  assert.ok(ipcsHas(sem.id));
  const line = execFileSync('ipcs', ['-s'], { encoding: 'utf8' }).split('\n').find((l) => l.split(/\s+/)[1] === String(sem.id))!;
  assert.is(line.split(/\s+/)[3], '600');
  const again = await Semaphore.open(join(dir, `s${n}`));
  assert.is(again.id, sem.id);
  assert.is(again.value, 2);
  assert.ok(again.tryAcquire(2));
  assert.is(sem.value, 0);
  assert.not.ok(sem.tryAcquire());
  again.release(2);
  assert.is(sem.value, 2);
  const err = await Semaphore.open(join(dir, `s${n}`), { create: 'exclusive' }).catch((e: unknown) => e);
  assert.is((err as { code?: string }).code, 'EEXIST');
  sem.remove();
  assert.not.ok(ipcsHas(sem.id));
  assert.throws(() => again.value, (e: unknown) => (e as { code?: string }).code === 'EINVAL' || (e as { code?: string }).code === 'EIDRM');
});

test('8 processes and a semaphore of 3: never more than 3 inside', async () => {
  const sem = await fresh(3);
  const counter = join(dir, 'inside');
  writeFileSync(counter, '0 0');
  const workers = Array.from({ length: 8 }, () => children.add(spawnNode(worker, ['pool', String(sem.key), counter, '15'])));
  await Promise.all(workers.map((w) => w.waitExit(150_000)));
  assert.ok(workers.every((w) => w.lines.includes('done')), workers.map((w) => w.stderr).join('\n'));
  const [inside, max] = readFileSync(counter, 'utf8').split(' ').map(Number);
  assert.is(inside, 0);
  assert.ok(max! <= 3, `max inside was ${max}`);
  assert.ok(max! >= 2, `the pool never overlapped (max ${max}): the test proves nothing`);
  assert.is(sem.value, 3);
});

test('a holder killed with SIGKILL gives its unit back', async () => {
  const sem = await fresh(1);
  const child = children.add(spawnNode(worker, ['hold', String(sem.key)]));
  await child.waitLine(/^held/);
  assert.is(sem.value, 0);
  const waiting = sem.acquire(1, { timeout: 20_000 });
  child.kill('SIGKILL');
  await within(10_000, 'acquire after SIGKILL', waiting);
  assert.is(sem.held, 1);
  sem.release();
  assert.is(sem.value, 1);
});

test('timeout, abort and close end waits; fs works meanwhile; close gives held units back', async () => {
  const sem = await fresh(1);
  const other = await Semaphore.open(sem.key, { create: false });
  assert.ok(other.tryAcquire());
  assert.instance(await sem.acquire(1, { timeout: 80 }).catch((e: unknown) => e), TimeoutError);
  const ac = new AbortController();
  const aborted = sem.acquire(1, { signal: ac.signal }).catch((e: unknown) => e);
  const pending = Array.from({ length: 10 }, () => sem.acquire().catch((e: unknown) => e));
  await within(5000, 'fs.stat while waits pend', new Promise((r) => stat(dir, r)));
  ac.abort();
  assert.instance(await aborted, AbortedError);
  other.close(); // gives its unit back...
  assert.is(sem.value === 1 || sem.held === 1, true);
  await new Promise((r) => setTimeout(r, 100));
  sem.close(); // ...and ends the remaining waits
  const results = await Promise.all(pending);
  assert.is(results.filter((r) => r === undefined).length, 1, 'one waiter got the unit');
  assert.ok(results.filter((r) => r !== undefined).every((r) => r instanceof ClosedError));
  const probe = await Semaphore.open(sem.key, { create: false });
  assert.is(probe.value, 1, 'close gave the held unit back');
  probe.close();
});

test('a creator killed before writing the marker: the next opener finishes the set (its count, or the opener\'s initial)', async () => {
  // Before, every opener failed with "no unibus marker" for ever, until someone ran ipcrm.
  const halfCreator = script(import.meta.url, './sem-half-creator.js');
  const key = 0x53000000 + ((process.pid & 0xfff) << 8) + (n += 2);
  const counted = key + 1;
  rawKeys.push(key, counted);
  for (const [k, args] of [[key, []], [counted, ['3']]] as const) {
    const child = children.add(spawnNode(halfCreator, [String(k), ...args]));
    assert.is((await child.waitExit()).signal, 'SIGKILL');
  }
  const never = await Semaphore.open(key, { initial: 2, readyTimeout: 200 });
  made.push(never);
  assert.is(never.value, 2, 'the count it never set is the opener\'s initial');
  const set = await Semaphore.open(counted, { create: false, readyTimeout: 200 });
  made.push(set);
  assert.is(set.value, 3, 'the count the dead creator set stays');
  assert.ok(set.tryAcquire(3));
  assert.is((await Semaphore.open(counted, { create: false })).value, 0, 'later openers see the same set');
  set.release(3);
});

test('a set whose marker was never written by a live creator is still refused', async () => {
  const key = 0x53000000 + ((process.pid & 0xfff) << 8) + (n += 2);
  rawKeys.push(key);
  const id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0o600);
  semSetValue(id, 0, 1); // by this live process: its creator is slow, not dead
  try {
    const err = await Semaphore.open(key, { readyTimeout: 100 }).catch((e: unknown) => e);
    assert.instance(err, PermissionDeniedError);
    assert.match((err as Error).message, /no unibus marker/);
  } finally {
    semRemove(id);
  }
});

test('acquire(n) takes n at once; bad arguments are refused', async () => {
  const sem = await fresh(5);
  await sem.acquire(4);
  assert.is(sem.value, 1);
  assert.not.ok(sem.tryAcquire(2));
  sem.release(4);
  assert.throws(() => sem.tryAcquire(0), RangeError);
  assert.throws(() => sem.release(1.5), RangeError);
  const err = await Semaphore.open(join(dir, 'x'), { initial: -1 }).catch((e: unknown) => e);
  assert.instance(err, RangeError);
  const missing = await Semaphore.open(join(dir, 'nope'), { create: false }).catch((e: unknown) => e);
  assert.is((missing as { code?: string }).code, 'ENOENT');
});

test.run();
