import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { pidfdOpen, isAlive, watchPid, activeWatcherCount } from '../../src/native/process.js';
import { closeFd } from '../../src/native/fds.js';
import { within } from '../helpers/watchdog.js';

const openFds = () => readdirSync('/proc/self/fd').length;
const exited = (c: ChildProcess) => new Promise<void>((res) => {
  if (c.exitCode !== null || c.signalCode !== null) res(); else c.once('exit', () => res());
});

test('isAlive: this process yes, a reaped child no', async () => {
  assert.ok(isAlive(process.pid));
  const child = spawn('/bin/true');
  await exited(child);
  assert.not.ok(isAlive(child.pid!));
  assert.throws(() => isAlive(0), RangeError);
});

test('pidfdOpen: an fd for a live process, ESRCH for a gone one', async () => {
  const fd = pidfdOpen(process.pid);
  assert.ok(fd > 2);
  closeFd(fd);
  const child = spawn('/bin/true');
  await exited(child);
  try { pidfdOpen(child.pid!); assert.unreachable(); } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'ESRCH');
    assert.is((err as NodeJS.ErrnoException).syscall, 'pidfd_open');
  }
  assert.throws(() => pidfdOpen(-1), RangeError);
});

test('watchPid fires once when a child is SIGKILLed, and releases its fd', async () => {
  const before = openFds();
  const child = spawn('/bin/sleep', ['60']);
  let calls = 0;
  const fired = new Promise<void>((res) => watchPid(child.pid!, () => { calls += 1; res(); }));
  assert.is(activeWatcherCount(), 1);
  child.kill('SIGKILL');
  await within(10_000, 'exit notice', fired);
  await exited(child);
  await new Promise((r) => setTimeout(r, 50));
  assert.is(calls, 1);
  assert.is(activeWatcherCount(), 0);
  assert.is(openFds(), before);
});

test('watchPid on a process that is already gone fires asynchronously', async () => {
  const child = spawn('/bin/true');
  await exited(child);
  let sync = true;
  const fired = new Promise<boolean>((res) => watchPid(child.pid!, () => res(sync)));
  sync = false;
  assert.is(await within(5_000, 'exit notice', fired), false);
});

test('close() stops watching: no call after, no fd left, and the process can exit', async () => {
  const before = openFds();
  const child = spawn('/bin/sleep', ['60']);
  let calls = 0;
  const w = watchPid(child.pid!, () => { calls += 1; });
  assert.ok(w.watching);
  w.close();
  w.close();
  assert.not.ok(w.watching);
  child.kill('SIGKILL');
  await exited(child);
  await new Promise((r) => setTimeout(r, 100));
  assert.is(calls, 0);
  assert.is(activeWatcherCount(), 0);
  assert.is(openFds(), before);
});

test('watchers of several children each fire for their own child', async () => {
  const kids = [0, 1, 2].map(() => spawn('/bin/sleep', ['60']));
  const seen: number[] = [];
  const all = Promise.all(kids.map((k) => new Promise<void>((res) => watchPid(k.pid!, () => { seen.push(k.pid!); res(); }))));
  kids[1]!.kill('SIGKILL');
  await within(10_000, 'first exit', new Promise<void>((res) => {
    const t = setInterval(() => { if (seen.length) { clearInterval(t); res(); } }, 10);
  }));
  assert.equal(seen, [kids[1]!.pid!]);
  kids[0]!.kill('SIGKILL'); kids[2]!.kill('SIGKILL');
  await within(10_000, 'all exits', all);
  assert.is(seen.length, 3);
});

test.run();
