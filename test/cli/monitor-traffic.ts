// Traffic for monitor-cli.test.ts: `node monitor-traffic.js <url> <name> <pattern|-> <topic>:<msgs per tick>...`
// connects as <name>, subscribes to <pattern> (unless "-"), prints "ready", then every 50 ms
// publishes the given number of messages on each topic, until killed.
import { Bus } from '../../src/bus/bus.js';

const [url, name, pattern, ...plan] = process.argv.slice(2);
const bus = await Bus.connect(url!, { name: name! });
if (pattern && pattern !== '-') bus.subscribe(pattern).subscribe(() => undefined);
await bus.flush();
process.stdout.write('ready\n');
const topics = plan.map((p) => { const [topic, n] = p.split(':'); return { topic: topic!, n: Number(n) }; });
let seq = 0;
setInterval(() => {
  for (const { topic, n } of topics) {
    for (let i = 0; i < n; i++) void bus.publish(topic, { seq: seq++, at: Date.now(), value: Math.round(Math.random() * 1000) / 10 }).catch(() => undefined);
  }
}, 50);
