// Relay subscriber: `node relay-sub.js <url> <topic> <count> <stallEvery> <stallMs>` subscribes to
// <topic>, prints `ready` once the hub has the subscription, checks every payload against
// `relayPayload` (index in its first 4 bytes, consecutive from 0), blocks its event loop for
// <stallMs> every <stallEvery> messages (0: never), and prints `done <got> <bad>` after <count>.
import { Bus } from '../../../src/index.js';
import { checkRelayPayload } from './relay-payload.js';

const [url, topic, countS, everyS, stallS] = process.argv.slice(2);
const count = Number(countS);
const every = Number(everyS);
const stall = new Int32Array(new SharedArrayBuffer(4));
const bus = await Bus.connect(url!);
let got = 0;
let bad = 0;
const done = new Promise<void>((resolve) => {
  bus.subscribe(topic!).subscribe((m) => {
    const why = checkRelayPayload(m.data as Uint8Array, got);
    if (why !== undefined) {
      bad++;
      if (bad <= 3) console.error(`bad #${got}: ${why}`);
    }
    got++;
    if (every > 0 && got % every === 0) Atomics.wait(stall, 0, 0, Number(stallS)); // reads nothing meanwhile
    if (got === count) resolve();
  });
});
await bus.flush();
console.log('ready');
await done;
console.log(`done ${got} ${bad}`);
await bus.close();
