/** Subscribes to every greeting with a wildcard, acknowledges each, leaves on "bye". */
import { Bus } from '../../src/index.js';
import type { Topics } from './topics.js';

const bus = await Bus.connect<Topics>(); // UNIBUS_URL picks the transport
const name = `subscriber-${process.pid}`;
await bus.flush(); // connected
bus.subscribe('greetings.*').subscribe((m) => {
  void bus.publish('acks', { from: name, text: m.data.text });
});
const done = new Promise<void>((resolve) => bus.subscribe('control.bye').subscribe(() => resolve()));
await bus.flush(); // the hub has our subscription
await bus.publish('control.ready', null);
await done;
await bus.close();
