// Gap publisher: `node gap-publisher.js <url>` connects a Bus (prints `connected sent=N`) and, for each stdin line
// `publish <from> <to>`, publishes the numbers [from, to) on topic `g` (each publish awaited: the
// message is accepted, here: in the spool log), then prints `published <to>`. It never closes by
// itself: the test kills it.
import { createInterface } from 'node:readline';
import { Bus } from '../../../src/bus/bus.js';

const bus = await Bus.connect(process.argv[2]!);
// `sent` counts what the bus re-sent on connecting (frames its name's dead predecessor left).
console.log(`connected sent=${bus.stats().sent}`);
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, from, to] = line.split(' ');
  if (cmd !== 'publish') continue;
  for (let i = Number(from); i < Number(to); i++) await bus.publish('g', i);
  // On file:// a resolved publish is in the spool: the test may SIGKILL us as soon as it reads this.
  console.log(`published ${to}`);
}
// stdin closed: a clean leave (BYE, then the spool's close record).
await bus.close();
