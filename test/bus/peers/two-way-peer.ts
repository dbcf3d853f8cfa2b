// Two-way peer: `node two-way-peer.js <url> <name>` connects a Bus (a durable name in the URL),
// subscribes to `tw.>`, flushes, prints `ready`, then `got <publisher> <n>` for each message of
// another peer; for each stdin line `publish <from> <to>` it publishes [from, to) on `tw.<name>`
// (each publish awaited: on file:// it is then in the spool) and prints `published <to>`.
// It publishes as well as subscribes, so its `up` log always has frames a restarted hub has not
// read: the case where a new hub used to resume it too late (spool-hub-restart.test.ts).
import { createInterface } from 'node:readline';
import { Bus } from '../../../src/bus/bus.js';

const [url, name] = process.argv.slice(2) as [string, string];
const bus = await Bus.connect(url);
bus.subscribe('tw.>').subscribe((m) => {
  const from = m.topic.slice('tw.'.length);
  if (from !== name) console.log(`got ${from} ${String(m.data)}`);
});
await bus.flush();
console.log('ready');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, from, to] = line.split(' ');
  if (cmd !== 'publish') continue;
  for (let i = Number(from); i < Number(to); i++) await bus.publish(`tw.${name}`, i);
  console.log(`published ${to}`);
}
await bus.close();
