// Child process for FileLock tests: `node file-lock-holder.js <path> <exclusive|shared> [start len]`
// takes the lock, prints `held <pid>`, then obeys stdin lines: `close-other` (opens and closes
// another descriptor of the file, the trap of classic POSIX locks), `release`, `exit`.
// Mode `count <n>`: `node file-lock-holder.js <path> count <n>` increments the number in
// <path>.n n times, each under withLock, then exits.
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FileLock, withLock } from '../../src/sync/file-lock.js';

const [path, mode, a, b] = process.argv.slice(2) as [string, string, string?, string?];

if (mode === 'count') {
  const counter = `${path}.n`;
  for (let i = 0; i < Number(a); i += 1) {
    await withLock(path, () => {
      const n = Number(readFileSync(counter, 'utf8') || '0');
      // a window for a race: without the lock, other processes would read the same n
      for (let spin = 0; spin < 2000; spin += 1) Math.sqrt(spin);
      writeFileSync(counter, String(n + 1));
    }, { timeout: 60_000 });
  }
  console.log('counted');
} else {
  const lock = new FileLock(path, { kind: mode as 'exclusive' | 'shared', start: Number(a ?? 0), len: Number(b ?? 0) });
  await lock.acquire({ timeout: 30_000 });
  console.log(`held ${process.pid}`);
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line === 'close-other') {
      closeSync(openSync(path, 'r'));
      console.log('closed-other');
    } else if (line === 'release') {
      lock.release();
      console.log('released');
    } else if (line === 'exit') {
      lock.close();
      process.exit(0);
    }
  });
}
