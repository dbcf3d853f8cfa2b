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
 * - batcher: as publisher, but publishes up to 8 samples per turn without awaiting them (they go
 *   as one batch PUB), then awaits the last and prints "pub <i>" of it (until killed).
 * - interleaver <turns>: per turn, samples (1000 bytes, u32 counter first) on `z.b`, an ordinary
 *   publish of the next counter on `z.b`, samples on `z.c`, samples on `z.b` again, nothing awaited
 *   within the turn; prints "done <messages>" after the last turn's flush.
 * - recorder <count>: subscribes to `z.>` with zeroCopy; checks the u32 counters arrive in order
 *   (samples and ordinary messages alike), counts messages whose seq repeats the one before (the
 *   samples of one batch share their PUB's seq); after <count> messages prints "got <n> order
 *   <ok|bad at n> shared <k>".
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
} else if (role === 'batcher') {
  console.log('ready');
  for (let i = 0; ;) {
    let last: Promise<void> | undefined;
    for (let k = 0; k < 8; k++, i++) {
      const s = bus.tryLoan('z.frame', 100_000) ?? await bus.loan('z.frame', 100_000, { timeout: 120_000 });
      const d = s.data;
      new DataView(d.buffer, d.byteOffset).setUint32(0, i, true);
      for (let j = 4; j < d.length; j++) d[j] = (i * 31 + j) & 255;
      last = s.publish();
    }
    await last;
    console.log(`pub ${i - 1}`);
  }
} else if (role === 'interleaver') {
  const turns = Number(process.argv[4]);
  let i = 0;
  /** A loaned sample carrying the next counter (the loan awaited only when the pool is full: the turn goes on otherwise). */
  const put = (s: { data: Uint8Array; publish(): Promise<void> }): Promise<void> => {
    new DataView(s.data.buffer, s.data.byteOffset).setUint32(0, i++, true);
    return s.publish();
  };
  const counter = (): Uint8Array => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, i++, true);
    return b;
  };
  for (let t = 0; t < turns; t++) {
    const sent: Array<Promise<void>> = [];
    for (let k = 0; k < 5; k++) sent.push(put(bus.tryLoan('z.b', 1000) ?? await bus.loan('z.b', 1000, { timeout: 60_000 })));
    sent.push(bus.publish('z.b', counter()));
    for (let k = 0; k < 3; k++) sent.push(put(bus.tryLoan('z.c', 1000) ?? await bus.loan('z.c', 1000, { timeout: 60_000 })));
    for (let k = 0; k < 5; k++) sent.push(put(bus.tryLoan('z.b', 1000) ?? await bus.loan('z.b', 1000, { timeout: 60_000 })));
    await Promise.all(sent);
  }
  await bus.flush();
  console.log(`done ${i}`);
} else if (role === 'recorder') {
  const count = Number(process.argv[4]);
  let n = 0;
  let bad = -1;
  let shared = 0;
  let lastSeq: number | undefined;
  bus.subscribe('z.>', { zeroCopy: true }).subscribe((m) => {
    const d = m.data;
    const i = new DataView(d.buffer, d.byteOffset).getUint32(0, true);
    if (i !== n && bad < 0) bad = n;
    if (m.seq === lastSeq) shared++;
    lastSeq = m.seq;
    m.release();
    if (++n === count) console.log(`got ${n} order ${bad < 0 ? 'ok' : `bad at ${bad}`} shared ${shared}`);
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
