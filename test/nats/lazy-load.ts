/**
 * Child of bus-nats.test.ts: a Bus on memory:// must not load the NATS client; a nats:// Bus
 * then does. Prints `before=<bool> after=<bool>`. The client is CommonJS, so what it loaded
 * shows in require.cache even when imported from ESM. Env: NATS_URL.
 */
import { createRequire } from 'node:module';
import { Bus } from '../../src/index.js';

const cache = createRequire(import.meta.url).cache;
const natsLoaded = () => Object.keys(cache).some((k) => k.includes('@nats-io'));

const hub = await Bus.listen(`memory://lazy-${process.pid}`);
await hub.publish('a.b', 1);
await hub.flush();
const before = natsLoaded();
await hub.close();
const nats = await Bus.connect(process.env.NATS_URL!);
await nats.flush();
const after = natsLoaded();
await nats.close();
process.stdout.write(`before=${before} after=${after}\n`);
