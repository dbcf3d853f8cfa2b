// A publisher that dies at the worst moment: `node loaner.js <url>` connects, loans one sample
// (its bus makes its pool), prints `loaned`, and waits (to be killed) without publishing it.
import { Bus } from '../../src/bus/bus.js';

const bus = await Bus.connect(process.argv[2]!, { reconnect: false });
const sample = await bus.loan('z.frame', 100_000);
sample.data[0] = 1;
console.log('loaned');
setInterval(() => {}, 1 << 30);
