/**
 * A pool of 8 worker processes where a System V semaphore lets at most K=3 work at once.
 *
 *   node dist/examples/semaphore-pool/pool.js
 *
 * The parent creates the semaphore (0600, SEM_UNDO: a worker that dies gives its unit back),
 * starts the workers, waits for them and removes the semaphore, so `ipcs -s` is clean after.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { Semaphore } from '../../src/sync/semaphore.js';

const K = 3;
const [role, keyText] = process.argv.slice(2);

if (role === 'worker') {
  await using slots = await Semaphore.open(Number(keyText), { create: false });
  await slots.acquire(1, { timeout: 30_000 });
  console.log(`pid ${process.pid} working (free slots now ${slots.value})`);
  await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
  slots.release(1);
  console.log(`pid ${process.pid} done`);
} else {
  const keyFile = `/tmp/unibus-pool-${process.pid}.sem`;
  const slots = await Semaphore.open(keyFile, { initial: K, create: 'exclusive' });
  try {
    const workers = Array.from({ length: 8 }, () => new Promise<number>((resolve) => {
      spawn(process.execPath, [process.argv[1]!, 'worker', String(slots.key)], { stdio: 'inherit' })
        .on('exit', (code) => resolve(code ?? 1));
    }));
    const codes = await Promise.all(workers);
    console.log(`all workers finished; at most ${K} worked at once`);
    process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
  } finally {
    slots.remove();
    rmSync(keyFile, { force: true });
  }
}
