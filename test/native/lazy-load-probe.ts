/**
 * Runs a hub and a client on argv[2] (or only a client with argv[3] === 'client', the hub being
 * elsewhere), then prints which heavy modules were loaded.
 */
import { createRequire } from 'node:module';
import { Bus } from '../../src/index.js';

const url = process.argv[2]!;
const clientOnly = process.argv[3] === 'client';
const hub = clientOnly ? undefined : await Bus.listen(url);
const bus = await Bus.connect(url);
if (hub) {
  const got = new Promise<void>((resolve) => hub.subscribe('probe').subscribe(() => resolve()));
  await hub.flush();
  await bus.publish('probe', 1);
  await got;
  void hub.peers();
} else {
  await bus.publish('probe', 1);
  await bus.flush();
  void bus.peers();
}
await bus.close();
await hub?.close();
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(`koffi=${loaded.some((k) => k.includes("/koffi/"))}`);
