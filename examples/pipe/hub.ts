/**
 * pipe: example, the hub. Starts two workers as its children on real pipes (they inherit fds
 * 3 and 4), asks them to square ten numbers (a queue group shares the work), prints who answered,
 * then closes: the workers see EOF and exit, and nothing is left anywhere.
 *
 *   node dist/examples/pipe/hub.js
 */
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/index.js';

type Services = { 'math.square': { request: number; response: { square: number; by: number } } };

const worker = fileURLToPath(new URL('./worker.js', import.meta.url));
const hub = await Bus.listen<Record<string, never>, Services>('pipe:');
const children = [hub.spawn(process.execPath, [worker]), hub.spawn(process.execPath, [worker])];

// Wait until both workers have joined (the hub's own bus is a peer too), then until one
// serves the topic: a request before that finds no responders.
while (hub.peers().length < 3) await new Promise((r) => setTimeout(r, 20));
for (;;) {
  try {
    await hub.request('math.square', 0, { timeout: 2000 });
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
for (let n = 1; n <= 10; n++) {
  const { square, by } = await hub.request('math.square', n, { timeout: 5000 });
  console.log(`${n}² = ${square} (worker pid ${by})`);
}
await hub.close();
console.log('workers exited:', (await Promise.all(children.map((c) => c.exited))).join(', '));
