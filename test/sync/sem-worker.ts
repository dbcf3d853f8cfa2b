// Child process for Semaphore tests.
//   node sem-worker.js pool <key> <counterFile> <rounds>: acquire, count itself in (under a
//     FileLock, keeping the maximum seen), work a moment, count itself out, release; repeat.
//   node sem-worker.js hold <key>: acquire one unit, print `held`, stay alive.
import { readFileSync, writeFileSync } from 'node:fs';
import { Semaphore } from '../../src/sync/semaphore.js';
import { withLock } from '../../src/sync/file-lock.js';

const [mode, keyText, counter, rounds] = process.argv.slice(2) as [string, string, string?, string?];
const sem = await Semaphore.open(Number(keyText), { create: false });

function bump(delta: number): void {
  const [inside, max] = readFileSync(counter!, 'utf8').split(' ').map(Number) as [number, number];
  const now = inside + delta;
  writeFileSync(counter!, `${now} ${Math.max(max, now)}`);
}

if (mode === 'pool') {
  for (let i = 0; i < Number(rounds); i += 1) {
    await sem.acquire(1, { timeout: 60_000 });
    await withLock(`${counter}.lock`, () => bump(+1), { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, Math.random() * 10));
    await withLock(`${counter}.lock`, () => bump(-1), { timeout: 60_000 });
    sem.release(1);
  }
  sem.close();
  console.log('done');
} else {
  await sem.acquire(1, { timeout: 30_000 });
  console.log('held');
  setInterval(() => {}, 1 << 30);
}
