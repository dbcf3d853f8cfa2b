/**
 * A client that publishes five readings, including one of 100 KiB (past the 8 KiB message
 * limit: it is cut into messages and put back together), then leaves.
 *   node dist/examples/sysvmq/sensor.js [url] [room]
 */
import { Bus } from '../../src/index.js';

const url = process.argv[2] ?? process.env.UNIBUS_URL ?? 'sysvmq:///tmp/unibus-example.key';
const room = process.argv[3] ?? 'kitchen';
const bus = await Bus.connect(url);
for (let i = 0; i < 4; i++) await bus.publish(`sensor.${room}.temp`, { celsius: 20 + i / 2 });
await bus.publish(`sensor.${room}.temp`, { celsius: 22, history: 'x'.repeat(100 * 1024) });
await bus.flush(); // the hub has everything
await bus.close();
console.log(`${room}: sent 5 readings`);
