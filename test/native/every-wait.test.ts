/**
 * Every kind of wait unibus has, at once, in one process: idle connections on every local
 * transport (sockets, pipes, FIFOs, System V queues, shm doorbells, the spool's watcher), a
 * FileLock wait, a Semaphore wait and a pidfd watch. `fs.stat` must still complete (the
 * thread pool is not starved), at most one pool thread may be parked in a blocking call, and
 * after closing everything the process must exit on its own (the runner's watchdog).
 */
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/bus/bus.js';
import { FileLock } from '../../src/sync/file-lock.js';
import { Semaphore } from '../../src/sync/semaphore.js';
import { watchPid } from '../../src/native/process.js';
import { Child, script, spawnNode } from '../helpers/processes.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';

/** Linux x86-64 syscalls a thread sits in while parked on something (idle pool threads use futex). */
const PARKING = new Set([0 /* read */, 2 /* open */, 7 /* poll */, 65 /* semop */, 70 /* msgrcv */,
  72 /* fcntl */, 220 /* semtimedop */, 257 /* openat */]);

function parkedThreads(): number {
  let n = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    if (Number(tid) === process.pid) continue; // the main thread is reading this file
    try {
      const nr = Number(readFileSync(`/proc/self/task/${tid}/syscall`, 'utf8').split(' ')[0]);
      if (PARKING.has(nr)) n++;
    } catch { /* thread ended */ }
  }
  return n;
}

test('every wait at once: fs.stat completes, at most one pool thread parked, close() frees all', async () => {
  const dir = tmpDir('waits');
  const closers: Array<() => unknown> = [];
  const children: Child[] = [];
  try {
    const urls = [
      `unix://${join(dir, 'hub.sock')}`, `fifo://${join(dir, 'fifo')}`, `shm://${uniqueName('waits')}`,
      `sysvmq://${join(dir, 'mq.key')}`, `file://${join(dir, 'spool')}?consumer=waiter`,
    ];
    for (const url of urls) {
      const hub = await Bus.listen(url);
      const bus = await Bus.connect(url);
      closers.push(() => hub.close(), () => bus.close());
      bus.subscribe('never.*').subscribe(() => undefined);
      hub.subscribe('never.*').subscribe(() => undefined);
      await bus.flush();
    }
    const pipeHub = await Bus.listen('pipe:');
    closers.push(() => pipeHub.close());
    const pipeChild = pipeHub.spawn(process.execPath, [script(import.meta.url, '../../src/transport-kit/conformance/clients/bus-client.js'), 'subscriber', 'x.y'],
      { env: { ...process.env, UNIBUS_URL: 'pipe:' }, stdio: 'pipe' });
    children.push(new Child(pipeChild.child));
    await children[0]!.waitLine(/^ready$/);

    const lockPath = join(dir, 'held.lock');
    await fs.writeFile(lockPath, '');
    const holder = spawnNode(script(import.meta.url, './waits-holder.js'), [lockPath]);
    children.push(holder);
    await holder.waitLine(/^holding$/);
    const lock = new FileLock(lockPath);
    const controller = new AbortController();
    const lockWait = lock.acquire({ signal: controller.signal }).catch((e: Error) => e);
    const sem = await Semaphore.open(join(dir, 'sem.key'), { initial: 0 });
    const semWait = sem.acquire(1, { signal: controller.signal }).catch((e: Error) => e);
    let exited = false;
    const watcher = watchPid(holder.pid, () => { exited = true; });
    closers.push(() => watcher.close());

    await new Promise((r) => setTimeout(r, 300)); // let every wait settle into its parked state
    const stat = await within(5000, 'fs.stat with every wait pending', fs.stat(dir));
    assert.ok(stat.isDirectory());
    const parked = parkedThreads();
    assert.ok(parked <= 1, `pool threads parked in blocking calls: ${parked} (at most 1 allowed)`);

    controller.abort();
    assert.instance(await lockWait, Error);
    assert.instance(await semWait, Error);
    await sem.remove();
    lock.close?.();
    holder.proc.stdin!.end();
    await holder.waitExit();
    await within(5000, 'pidfd reports the holder exit', (async () => { while (!exited) await new Promise((r) => setTimeout(r, 20)); })());
  } finally {
    for (const close of closers.reverse()) await close();
    for (const c of children) c.kill('SIGKILL');
    await fs.rm(join(dir, 'spool'), { recursive: true, force: true });
  }
});

test.run();
