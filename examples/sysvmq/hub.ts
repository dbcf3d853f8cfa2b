/**
 * A hub on System V message queues that prints every `sensor.*.temp` reading.
 *   node dist/examples/sysvmq/hub.js [url]     (default sysvmq:///tmp/unibus-example.key)
 * Stop it with Ctrl-C: it removes its queues (check with `ipcs -q`).
 */
import { Bus } from '../../src/index.js';

const url = process.argv[2] ?? process.env.UNIBUS_URL ?? 'sysvmq:///tmp/unibus-example.key';
const hub = await Bus.listen(url);
console.log(`listening on ${hub.url}`);
// Long strings print as their length.
const short = (_: string, v: unknown): unknown => (typeof v === 'string' && v.length > 64 ? `<${v.length} chars>` : v);
hub.subscribe('sensor.*.temp').subscribe((m) => console.log(`${m.topic}: ${JSON.stringify(m.data, short)}`));
process.once('SIGINT', () => { void hub.close().then(() => console.log('closed; ipcs -q shows nothing of ours')); });
