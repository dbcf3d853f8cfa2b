import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LivenessLock } from '../../src/sync/liveness-lock.js';
import { HubRunningError, PermissionDeniedError } from '../../src/errors.js';
import { tmpDir } from '../helpers/run-id.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { removeTmp } from './cleanup.js';

const holder = script(import.meta.url, './liveness-holder.js');
const dir = tmpDir('liveness');
const children = new ChildSet();

test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

test('acquire creates <path>.lock 0600 holding our pid; release unlinks it', () => {
  const path = join(dir, 'a.sock');
  const lock = LivenessLock.acquire(path);
  assert.is(lock.lockPath, `${path}.lock`);
  assert.is(statSync(lock.lockPath).mode & 0o777, 0o600);
  assert.ok(LivenessLock.isHeld(path));
  lock.release();
  assert.not.ok(existsSync(`${path}.lock`));
  assert.not.ok(LivenessLock.isHeld(path));
  lock.release(); // idempotent
});

test('a second acquire in the same process fails: OFD locks conflict per description', () => {
  const path = join(dir, 'b.sock');
  using _lock = LivenessLock.acquire(path);
  assert.throws(() => LivenessLock.acquire(path), (e: unknown) => e instanceof HubRunningError && e.code === 'ERR_UNIBUS_HUB_RUNNING');
});

test('another process cannot take a live lock and is told the holder pid', async () => {
  const path = join(dir, 'c.sock');
  const a = children.add(spawnNode(holder, [path]));
  const line = await a.waitLine(/^held /);
  const pid = Number(line.split(' ')[1]);
  assert.is(LivenessLock.holder(path)?.pid, pid);
  let err: unknown;
  try { LivenessLock.acquire(path); } catch (e) { err = e; }
  assert.instance(err, HubRunningError);
  assert.match((err as Error).message, `pid=${pid}`);
  const b = children.add(spawnNode(holder, [path]));
  await b.waitLine(/^running .*pid=/);
  assert.equal((await b.waitExit()).code, 3);
  a.proc.stdin!.write('release\n');
  await a.waitLine(/^released/);
  await a.waitExit();
  assert.not.ok(LivenessLock.isHeld(path));
});

test('a holder killed with SIGKILL frees the lock; its stale file is reused', async () => {
  const path = join(dir, 'd.sock');
  const a = children.add(spawnNode(holder, [path]));
  await a.waitLine(/^held /);
  assert.ok(LivenessLock.isHeld(path));
  a.kill('SIGKILL');
  await a.waitExit();
  assert.ok(existsSync(`${path}.lock`), 'the dead holder left its file');
  assert.not.ok(LivenessLock.isHeld(path));
  const lock = LivenessLock.acquire(path);
  assert.is(LivenessLock.holder(path)?.pid, process.pid);
  lock.release();
});

test('two processes started at once: exactly one wins', async () => {
  for (let round = 0; round < 5; round += 1) {
    const path = join(dir, `race-${round}.sock`);
    const racers = [0, 1, 2].map(() => children.add(spawnNode(holder, [path])));
    const lines = await Promise.all(racers.map((c) => c.waitLine(/^(held|running)/)));
    assert.is(lines.filter((l) => l.startsWith('held')).length, 1, lines.join(' | '));
    for (const c of racers) c.proc.stdin!.end();
    await Promise.all(racers.map((c) => c.waitExit()));
  }
});

test('refuses a symlinked or foreign lock file', () => {
  const path = join(dir, 'e.sock');
  writeFileSync(join(dir, 'target'), '');
  symlinkSync(join(dir, 'target'), `${path}.lock`);
  assert.throws(() => LivenessLock.acquire(path), (e: unknown) => e instanceof PermissionDeniedError);
  const dirPath = join(dir, 'f.sock');
  mkdirSync(`${dirPath}.lock`); // a directory where the lock file should be
  assert.throws(() => LivenessLock.acquire(dirPath), (e: unknown) => (e as { code?: string }).code === 'EISDIR');
});

test.run();
