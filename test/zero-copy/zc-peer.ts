/**
 * A peer process for the zero-copy crash test. argv: <role> <url>
 * - holder: subscribes to `z.>` with zeroCopy, never releases, prints "ready" then "held <n>".
 * - forgetter (run with --expose-gc): subscribes to `z.>` with zeroCopy, drops every message
 *   without release(), collects garbage every 100 ms; prints "ready", "got <n>", and
 *   "warning <message>" for each UnibusWarning.
 * - twice (run with --expose-gc): two zeroCopy subscriptions to `z.>`; the first releases each
 *   message at once, the second keeps them; collects garbage every 50 ms and prints "gc <n>
 *   <messages the second still holds>", and "warning <message>" for each UnibusWarning.
 * - The holder also prints "event <type> <error code>" for its bus's disconnected/error events, and
 *   "event slow-consumer <detail>" for its slow-consumer events, and "subscription error <code>"
 *   when its subscription ends with an error.
 * - checker: subscribes to `z.>` with zeroCopy, checks each sample's pattern (as the publisher
 *   writes it), releases it, prints "ready", then "got <n> bad <torn samples>" every 50 samples.
 * - ponger: answers every zeroCopy sample on `zc.ping` with a loaned sample on `zc.pong` of the
 *   same size whose first byte is the ping's; prints "ready".
 * - publisher: loans 100 000-byte samples carrying i (u32) then a pattern of i, publishes them in a
 *   loop, prints "pub <i>" once publish() resolved (until killed).
 */
import { Bus } from '../../src/bus/bus.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';

const [role, url] = process.argv.slice(2);
const bus = await Bus.connect(url!, { reconnect: false });

if (role === 'holder') {
  bus.events.subscribe((e) => {
    if (e.type === 'disconnected' || e.type === 'error') console.log(`event ${e.type} ${(e.error as { code?: string } | undefined)?.code ?? ''}`);
    if (e.type === 'slow-consumer') console.log(`event slow-consumer ${e.detail}`);
  });
  const keep: SampleMessage[] = [];
  bus.subscribe('z.>', { zeroCopy: true, maxHold: 0 }).subscribe({
    next: (m) => {
      keep.push(m);
      console.log(`held ${keep.length}`);
    },
    error: (err: { code?: string }) => console.log(`subscription error ${err.code ?? ''}`),
  });
  await bus.flush();
  console.log('ready');
} else if (role === 'forgetter') {
  process.on('warning', (w) => {
    if (w.name === 'UnibusWarning') console.log(`warning ${w.message}`);
  });
  let n = 0;
  bus.subscribe('z.>', { zeroCopy: true, maxHold: 0 }).subscribe(() => {
    console.log(`got ${++n}`); // the message is dropped here, never released
  });
  await bus.flush();
  setInterval(() => (globalThis as { gc?: () => void }).gc!(), 100);
  console.log('ready');
} else if (role === 'twice') {
  process.on('warning', (w) => {
    if (w.name === 'UnibusWarning') console.log(`warning ${w.message}`);
  });
  const keep: SampleMessage[] = [];
  bus.subscribe('z.>', { zeroCopy: true, maxHold: 0 }).subscribe((m) => m.release());
  bus.subscribe('z.>', { zeroCopy: true, maxHold: 0 }).subscribe((m) => { keep.push(m); });
  await bus.flush();
  let n = 0;
  setInterval(() => {
    (globalThis as { gc?: () => void }).gc!();
    console.log(`gc ${++n} ${keep.filter((m) => m.held).length}`);
  }, 50);
  console.log('ready');
} else if (role === 'checker') {
  let n = 0;
  let bad = 0;
  bus.subscribe('z.>', { zeroCopy: true }).subscribe((m) => {
    const d = m.data;
    const i = new DataView(d.buffer, d.byteOffset).getUint32(0, true);
    for (let k = 4; k < d.length; k++) {
      if (d[k] !== ((i * 31 + k) & 255)) {
        bad++;
        break;
      }
    }
    m.release();
    if (++n % 50 === 0) console.log(`got ${n} bad ${bad}`);
  });
  await bus.flush();
  console.log('ready');
} else if (role === 'ponger') {
  bus.subscribe('zc.ping', { zeroCopy: true }).subscribe((m) => {
    const first = m.data[0]!;
    const size = m.data.length;
    m.release();
    void bus.loan('zc.pong', size, { timeout: 60_000 }).then((s) => {
      s.data[0] = first;
      return s.publish();
    });
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
