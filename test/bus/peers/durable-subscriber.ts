// Durable subscriber: `node durable-subscriber.js <url> [topic]` connects a Bus (a durable name
// in the URL), subscribes to `topic` (default `g`), flushes (the hub has the subscription), prints
// `ready`, then `got <n>` for each message (its data, a number). The test stops it (SIGSTOP /
// SIGCONT to make it slow) and kills it.
import { Bus } from '../../../src/bus/bus.js';

const bus = await Bus.connect(process.argv[2]!);
bus.on('reconnected', () => console.log('reconnected'));
bus.subscribe(process.argv[3] ?? 'g').subscribe((m) => console.log(`got ${String(m.data)}`));
await bus.flush();
console.log('ready');
