// Slow reader: `node slow-reader.js <socket path> <readMs> <stallMs>` subscribes to `>` over a
// raw protocol client, prints `ready` once the hub has the subscription, then reads for readMs
// and stops reading for stallMs, again and again (a subscriber that drains inside maxStall but
// cannot keep up). Prints `paused` each time it stops reading, `err <code>` for each ERR and
// `closed pubs=<n>` when the hub closes it.
import { RawHubClient, T } from '../../helpers/raw-hub-client.js';

const [path, readMs, stallMs] = process.argv.slice(2);
const c = await RawHubClient.open(path!, 'slow-reader', { countOnly: true });
let ready!: () => void;
const isReady = new Promise<void>((resolve) => { ready = resolve; });
c.onMessage = (msg) => {
  if (msg[0] === T.PONG) {
    console.log('ready');
    ready();
  }
  if (msg[0] === T.ERR) console.log(`err ${String(msg[1])}`);
};
c.send([T.SUB, 1, '>', null]);
c.send([T.PING, 1]);
c.socket.on('close', () => {
  console.log(`closed pubs=${c.count(T.PUB).frames}`);
  process.exit(0);
});
await isReady;
for (;;) {
  c.resume();
  await new Promise((r) => setTimeout(r, Number(readMs)));
  c.pause();
  console.log('paused');
  await new Promise((r) => setTimeout(r, Number(stallMs)));
}
