/** Holds an exclusive FileLock on argv[2] until stdin ends (for the every-wait test). */
import { FileLock } from '../../src/sync/file-lock.js';

const lock = new FileLock(process.argv[2]!);
await lock.acquire();
process.stdout.write('holding\n');
process.stdin.resume();
process.stdin.on('end', () => { lock.release(); process.exit(0); });
