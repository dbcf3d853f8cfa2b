/**
 * A peer process for the zero-copy crash test. argv: <role> <url>
 * - holder: subscribes to `z.>` with zeroCopy, never releases, prints "ready" then "held <n>".
 * - publisher: loans 100 000-byte samples carrying i (u32) then a pattern of i, publishes them in a
 *   loop, prints "pub <i>" once publish() resolved (until killed).
 */
import { Bus } from '../../src/bus/bus.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';

const [role, url] = process.argv.slice(2);
const bus = await Bus.connect(url!, { reconnect: false });

if (role === 'holder') {
  const keep: SampleMessage[] = [];
  bus.subscribe('z.>', { zeroCopy: true, maxHold: 0 }).subscribe((m) => {
    keep.push(m);
    console.log(`held ${keep.length}`);
  });
  await bus.flush();
  console.log('ready');
} else if (role === 'publisher') {
  console.log('ready');
  for (let i = 0; ; i++) {
    const s = await bus.loan('z.frame', 100_000, { timeout: 120_000 });
    const d = s.data;
    new DataView(d.buffer, d.byteOffset).setUint32(0, i, true);
    for (let k = 4; k < d.length; k++) d[k] = (i * 31 + k) & 255;
    await s.publish();
    console.log(`pub ${i}`);
  }
}
