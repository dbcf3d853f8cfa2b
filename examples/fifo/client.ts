/**
 * fifo: example, a client in an unrelated process. Connects through the hub's rendezvous FIFO,
 * publishes a few lines, flushes (the hub has processed them), and exits.
 *
 *   node dist/examples/fifo/client.js [fifo:///tmp/dir] [name]
 */
import { Bus } from '../../src/index.js';

const url = process.argv[2] || 'fifo:///tmp/unibus-fifo-example';
const name = process.argv[3] ?? `client-${process.pid}`;
const bus = await Bus.connect(url);
for (let i = 1; i <= 3; i++) await bus.publish(`chat.${name}`, { line: i, text: `hello ${i} from ${name}` });
await bus.flush();
await bus.close();
