/**
 * A client process of the zero-copy bench. argv: <role> <url> <method> <size> <count>
 * - pub: publishes `count` payloads of `size` bytes on `zc.data`, by `loan` (writes one byte of
 *   each loan) or `copy` (publishes one prepared buffer), then prints "sent".
 * - sub: counts `count` messages (zeroCopy for `loan`: released at once), reading one byte of
 *   each, then prints "got <count> <seconds from the first to the last>".
 * Both print "ready" first, and "cpu <µs>" (user + system CPU of this process since "ready") last.
 * @module
 */
import { Bus } from '../../src/index.js';

const [role, url, method, sizeText, countText] = process.argv.slice(2);
const size = Number(sizeText);
const count = Number(countText);
const bus = await Bus.connect(url!, { reconnect: false });

let cpuAtReady = process.cpuUsage();
if (role === 'pub') {
  console.log('ready');
  cpuAtReady = process.cpuUsage();
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  process.stdin.destroy(); // an open stdin would keep this process alive
  const buf = new Uint8Array(size).fill(7);
  for (let i = 0; i < count; i++) {
    if (method === 'loan') {
      const s = await bus.loan('zc.data', size, { timeout: 60_000 });
      s.data[0] = i & 255;
      await s.publish();
    } else {
      buf[0] = i & 255;
      await bus.publish('zc.data', buf);
    }
  }
  await bus.flush();
  console.log('sent');
} else {
  let n = 0;
  let first = 0;
  let sum = 0;
  const done = new Promise<void>((resolve) => {
    const onMessage = (data: Uint8Array, release?: () => void): void => {
      if (n === 0) first = performance.now();
      sum += data[0]!;
      release?.();
      if (++n === count) resolve();
    };
    if (method === 'loan') bus.subscribe('zc.data', { zeroCopy: true, bufferSize: 1 << 16 }).subscribe((m) => onMessage(m.data, () => m.release()));
    else bus.subscribe('zc.data').subscribe((m) => onMessage(m.data as Uint8Array));
  });
  await bus.flush();
  console.log('ready');
  cpuAtReady = process.cpuUsage();
  await done;
  console.log(`got ${n} ${((performance.now() - first) / 1000).toFixed(6)} ${sum}`);
}
const cpu = process.cpuUsage(cpuAtReady);
console.log(`cpu ${cpu.user + cpu.system} ${process.resourceUsage().minorPageFault}`);
await bus.close();
