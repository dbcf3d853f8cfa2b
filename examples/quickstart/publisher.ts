/** Publishes three greetings, waits until the hub has them, and exits. */
import { Bus } from '../../src/index.js';
import type { Topics } from './topics.js';

const bus = await Bus.connect<Topics>(); // UNIBUS_URL picks the transport
for (const text of ['hello', 'bonjour', 'hallo']) {
  await bus.publish(`greetings.${text}`, { from: `publisher-${process.pid}`, text });
}
await bus.flush(); // the hub has processed all three
await bus.close();
