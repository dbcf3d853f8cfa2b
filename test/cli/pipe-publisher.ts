// A pipe: child for pipe-cli.test.ts: prints its pid, then publishes {n} on x.y every 100 ms
// until its bus ends (the hub closed): then it exits 0.
import { Bus } from '../../src/bus/bus.js';

const bus = await Bus.connect('pipe:');
process.stdout.write(`publisher pid ${process.pid}\n`);
for (let n = 0; ; n++) {
  try {
    await bus.publish('x.y', { n });
  } catch {
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
await bus.close().catch(() => undefined);
process.exit(0);
