/** A `pipe:` child that starts slowly (as on a loaded machine), then says hello on the bus. */
import { Bus } from '../../../src/index.js';

await new Promise((r) => setTimeout(r, Number(process.argv[2] ?? 6000)));
const bus = await Bus.connect('pipe:');
await bus.publish('slow.hello', process.pid);
await bus.flush();
await bus.close();
