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
  // publish() resolves once accepted; the spool appends the turn's batch in a microtask. Let it
  // run before saying so (the test SIGKILLs this process as soon as it reads the line).
  await new Promise((resolve) => setImmediate(resolve));
  console.log(`published ${to}`);
}
