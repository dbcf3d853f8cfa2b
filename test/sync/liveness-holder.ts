// Child process for liveness-lock tests: `node liveness-holder.js <path>` takes the liveness lock
// of <path>, prints `held <pid>` (or `running <message>` when another live process holds it),
// then stays alive until stdin closes or says `release`.
import { LivenessLock } from '../../src/sync/liveness-lock.js';
import { HubRunningError } from '../../src/errors.js';

const path = process.argv[2]!;
try {
  const lock = LivenessLock.acquire(path);
  console.log(`held ${process.pid}`);
  process.stdin.on('data', (d) => {
    if (d.toString().includes('release')) {
      lock.release();
      console.log('released');
      process.exit(0);
    }
  });
  process.stdin.on('end', () => process.exit(0));
} catch (err) {
  if (!(err instanceof HubRunningError)) throw err;
  console.log(`running ${err.message}`);
  process.exit(3);
}
