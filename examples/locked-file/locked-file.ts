/**
 * The IPC guide's producer/consumer over a shared file, with an OFD lock (FileLock) so the
 * consumer never reads a half-written record and the producer never overwrites unread ones.
 *
 *   node dist/examples/locked-file/locked-file.js /tmp/demo.data
 *
 * starts one producer and one consumer (this same file, with a role argument). The producer
 * appends 20 records under an exclusive lock; the consumer takes a shared lock, reads what is
 * new, and exits after the 20th record.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readSync, rmSync } from 'node:fs';
import { FileLock, withLock } from '../../src/sync/file-lock.js';

const [path = '/tmp/unibus-locked-file.data', role] = process.argv.slice(2);
const lockPath = `${path}.lock`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (role === 'producer') {
  for (let i = 1; i <= 20; i++) {
    // Exclusive: nobody reads while a record is half-written.
    await withLock(lockPath, () => appendFileSync(path, `record ${i} from pid ${process.pid}\n`), { timeout: 5000 });
    await sleep(50);
  }
} else if (role === 'consumer') {
  await using lock = new FileLock(lockPath, { kind: 'shared' });
  let offset = 0;
  let seen = 0;
  while (seen < 20) {
    await lock.acquire({ timeout: 5000 });
    const fd = openSync(path, 'a+');
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, offset);
    closeSync(fd); // closing another descriptor never drops an OFD lock
    lock.release();
    offset += n;
    for (const line of buf.subarray(0, n).toString().split('\n').filter(Boolean)) {
      seen += 1;
      console.log(`consumer got: ${line}`);
    }
    await sleep(30);
  }
} else {
  rmSync(path, { force: true });
  const run = (r: string) => new Promise<number>((resolve) => {
    spawn(process.execPath, [process.argv[1]!, path, r], { stdio: 'inherit' }).on('exit', (code) => resolve(code ?? 1));
  });
  const codes = await Promise.all([run('consumer'), run('producer')]);
  rmSync(path, { force: true });
  rmSync(lockPath, { force: true });
  process.exit(codes.every((c) => c === 0) ? 0 : 1);
}
