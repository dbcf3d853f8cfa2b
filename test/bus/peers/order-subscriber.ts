// Order subscriber: `node order-subscriber.js <url> <count>` subscribes to `order.>` as a Bus
// client, prints `ready` once the hub has the subscription, then checks every message: its
// payload's first 4 bytes (little-endian) are the publish counter of the hub's bus, which must
// be the next one (one publisher: FIFO, nothing lost or repeated), and every byte after them is
// (counter + i) & 0xff (nothing corrupted or overwritten). Prints `done <count> <first problem
// or ok>` once <count> messages came, then exits. The test stops it with SIGSTOP: a subscriber
// that reads nothing.
import { Bus } from '../../../src/index.js';

const [url, count] = process.argv.slice(2);
const want = Number(count);
const bus = await Bus.connect(url!, { reconnect: false });
let next = 0;
let problem = 'ok';

bus.subscribe('order.>').subscribe((m) => {
  const p = m.data as Uint8Array;
  const c = p[0]! | (p[1]! << 8) | (p[2]! << 16) | (p[3]! << 24);
  if (problem === 'ok' && c !== next) problem = `#${next}: got counter ${c} on ${m.topic}`;
  if (problem === 'ok') {
    for (let i = 4; i < p.length; i++) {
      if (p[i] !== ((c + i) & 0xff)) {
        problem = `#${next}: byte ${i} of ${p.length} is ${p[i]}`;
        break;
      }
    }
  }
  next++;
  if (next === want) {
    console.log(`done ${next} ${problem}`);
    void bus.close().then(() => process.exit(0));
  }
});
await bus.flush();
console.log('ready');
