/**
 * A client process of the zero-copy bench. argv: <role> <url> <method> <size> <count> [window]
 * - pub: publishes payloads of `size` bytes on `zc.data` from the parent's "go" to its "stop",
 *   by `loan` (writes one byte of each loan) or `copy` (publishes one prepared buffer), then
 *   prints "sent <messages> <CPU µs since "mark"> <messages since "mark">". It awaits a
 *   publish only every `window` messages (default 256, as bench/relay/peer.ts), as a producer
 *   that does not wait for each sample would; a loan waits only when the pool is full
 *   (`bus.tryLoan()` first). `window` 1 awaits every loan and every publish.
 * - sub: counts messages (zeroCopy for `loan`: released at once), reading one byte of each,
 *   through a ThroughputMeter (meter.ts; `count` is the measured window's seconds here): prints
 *   "warm <messages of warm-up>" at the warm mark, then "got <count> <seconds> <CPU µs> <warm>"
 *   for the measured window; then drains until the parent's "end <messages sent>".
 * pub and sub stop when their stdin closes (a parent that died): never left running as orphans.
 * - ping: sends samples (`loan`) or messages (`copy`) of `size` bytes on `zc.ping` one at a time, each after the pong
 *   of the last: unmeasured round trips until the path is warm (`warmUp`), then `count` measured
 *   ones; prints "rtt <µs> <µs> ..." and "warm <round trips of warm-up>".
 * - pong: answers each message on `zc.ping` with one of the same size and method on `zc.pong`,
 *   until a line on its stdin (the parent's, once the pinger is done).
 * ping and pong take a loan by `bus.tryLoan()` when the pool has room (it always has, one sample
 * in flight), as a latency-minded user would: `await bus.loan()` costs a promise turn per hop.
 * All print "ready" first, and "cpu <µs> <minor faults> <user µs> <system µs> <voluntary> <involuntary>"
 * (user + system CPU of this process since "ready"; page faults and context switches since start) last.
 * @module
 */
import { createInterface } from 'node:readline';
import { Bus } from '../../src/index.js';
import { ThroughputMeter } from './meter.js';
import { CreditWait, creditGrant } from './credits.js';

const [role, url, method, sizeText, countText, windowText] = process.argv.slice(2);
const size = Number(sizeText);
const count = Number(countText);
const window = Math.max(1, Number(windowText ?? '256'));
const bus = await Bus.connect(url!, { reconnect: false });
const go = (): Promise<void> => new Promise<void>((resolve) => process.stdin.once('data', () => {
  process.stdin.destroy(); // an open stdin would keep this process alive
  resolve();
}));

/** Warm-up round trips are run in batches of this many (the median of each is compared). */
const WARM_BATCH = 500;
/** At least this many warm-up round trips: the path of each process takes 2,000-3,000 before V8 has optimised it. */
const WARM_MIN = 4000;
/** At most this many, or this long (ms), when batches keep getting faster (a loaded machine). */
const WARM_MAX = 40_000;
const WARM_MAX_MS = 10_000;

/**
 * Unmeasured round trips until the path is warm: at least WARM_MIN, then until a batch's median
 * is no longer 1.2x better than the batch before (as bench/protocol.ts warms up, there in
 * batches of messages). Returns how many ran.
 *
 * Why: measured from the 201st of 2,000 round trips (the bench before), the ping-pong's p50 was
 * mostly code V8 had not optimised yet: two processes, 1 MiB loans, with both processes on a
 * core of their own (SCHED_FIFO), the p50 of round trips 0-250 was 247 µs, of 1,000-1,250 264,
 * of 2,000-2,250 25, and 18-30 after; the old bench's p50 (round trips 200-2,000) 103-117 µs.
 */
async function warmUp(roundTrip: () => Promise<number>): Promise<number> {
  const start = performance.now();
  let done = 0;
  let before = Infinity;
  for (;;) {
    const batch: number[] = [];
    for (let k = 0; k < WARM_BATCH; k++) batch.push(await roundTrip());
    done += WARM_BATCH;
    batch.sort((a, b) => a - b);
    const median = batch[batch.length >> 1]!;
    if (done >= WARM_MIN && median * 1.2 > before) return done;
    if (done >= WARM_MAX || performance.now() - start > WARM_MAX_MS) return done;
    before = median;
  }
}

let cpuAtReady = process.cpuUsage();
if (role === 'pub') {
  // Lines from the parent: "go", then "mark" (the receiver is warm: count from here), "stop".
  const lines = createInterface({ input: process.stdin });
  let state = 'ready';
  const told = (what: string): Promise<void> => new Promise((resolve) => {
    const on = (l: string): void => { if (l === what) { lines.off('line', on); resolve(); } };
    lines.on('line', on);
  });
  // Copies: at most copyCredit(size) messages ahead of the receiver (credits.ts); loans are
  // bounded by the pool.
  const credit = method === 'copy' ? new CreditWait(bus, size) : undefined;
  const stop = (): void => {
    state = 'stop';
    credit?.release();
  };
  // The parent is gone: never publish on as an orphan (before "go": nothing made yet, just end).
  lines.once('close', () => (state === 'ready' ? process.exit(1) : stop()));
  await bus.flush(); // the credit subscription is known to the hub before the receiver grants any
  console.log('ready');
  await told('go');
  state = 'go';
  let markAt = 0;
  let markCpu = process.cpuUsage();
  void told('mark').then(() => { state = 'mark'; });
  void told('stop').then(stop);
  const buf = new Uint8Array(size).fill(7);
  let last: Promise<void> | undefined;
  let i = 1;
  for (; state !== 'stop'; i++) {
    if (credit && i > credit.limit) await credit.until(i);
    if (method === 'loan') {
      const s = (window > 1 ? bus.tryLoan('zc.data', size) : undefined) ?? await bus.loan('zc.data', size, { timeout: 60_000 });
      s.data[0] = i & 255;
      last = s.publish();
    } else {
      buf[0] = i & 255;
      last = bus.publish('zc.data', buf);
    }
    if (i % window === 0) await last;
    // An event-loop turn now and then, or the parent's lines would wait for a full pool (~4 µs
    // per 1,024 messages).
    if ((i & 1023) === 0) await new Promise((resolve) => setImmediate(resolve));
    if (state === 'mark') {
      state = 'counting';
      markAt = i;
      markCpu = process.cpuUsage();
    }
  }
  await last;
  await bus.flush();
  const cpu = process.cpuUsage(markCpu);
  console.log(`sent ${i - 1} ${cpu.user + cpu.system} ${i - 1 - markAt}`);
  lines.close();
  process.stdin.destroy();
} else if (role === 'sub') {
  // Counts every message (ThroughputMeter: warm-up, then the measured window), then drains
  // until the parent says how many were sent ("end <n>").
  let sum = 0;
  const lines = createInterface({ input: process.stdin });
  let total = Infinity;
  let drained: () => void = () => {};
  const done = new Promise<void>((resolve) => { drained = resolve; });
  const meter = new ThroughputMeter(size, method as 'loan' | 'copy', count,
    (warm) => console.log(`warm ${warm}`),
    (m) => console.log(`got ${m.count} ${m.seconds.toFixed(6)} ${m.cpuMicros} ${m.warm}`));
  const grant = method === 'copy' ? creditGrant(bus, size) : undefined;
  const onMessage = (data: Uint8Array, sample?: { release(): void }): void => {
    sum += data[0]!;
    sample?.release(); // the message itself, not a closure made per message
    meter.count();
    grant?.(meter.received);
    if (meter.received >= total) drained();
  };
  if (method === 'loan') bus.subscribe('zc.data', { zeroCopy: true, bufferSize: 1 << 16 }).subscribe((m) => onMessage(m.data, m));
  else bus.subscribe('zc.data').subscribe((m) => onMessage(m.data as Uint8Array));
  lines.once('close', () => drained()); // the parent is gone: end too
  lines.on('line', (l) => {
    if (!l.startsWith('end ')) return;
    total = Number(l.slice(4));
    if (meter.received >= total) drained();
  });
  await bus.flush();
  console.log('ready');
  cpuAtReady = process.cpuUsage();
  await done;
  lines.close();
  process.stdin.destroy();
  void sum;
} else if (role === 'pong') {
  let last: Promise<void> = Promise.resolve();
  const done = new Promise<void>((resolve) => {
    const buf = new Uint8Array(size);
    bus.subscribe('zc.ping', { zeroCopy: true }).subscribe((m) => {
      const first = m.data[0]!;
      m.release();
      let sent: Promise<void>;
      if (method === 'copy') {
        buf[0] = first;
        sent = bus.publish('zc.pong', buf);
      } else {
        // A loan the pool has room for now (as the hub's ponger in run.ts): no await before it.
        const now = bus.tryLoan('zc.pong', size);
        if (now) {
          now.data[0] = first;
          sent = now.publish();
        } else {
          sent = bus.loan('zc.pong', size).then((s) => {
            s.data[0] = first;
            return s.publish();
          });
        }
      }
      // The pinger has had every answer when the parent says stop (see run.ts); the one sent
      // last must still be on its way before this process closes its bus.
      last = sent;
    });
    // A parent that died closes the pipe ('end'): this process ends too, never orphaned.
    const stop = (): void => {
      process.stdin.destroy();
      void last.then(resolve, resolve);
    };
    process.stdin.once('data', stop).once('end', stop);
  });
  await bus.flush();
  console.log('ready');
  cpuAtReady = process.cpuUsage();
  await done;
} else if (role === 'ping') {
  let answer: (() => void) | undefined;
  bus.subscribe('zc.pong', { zeroCopy: true }).subscribe((m) => {
    m.release();
    answer?.();
  });
  await bus.flush();
  console.log('ready');
  cpuAtReady = process.cpuUsage();
  await go();
  const buf = new Uint8Array(size);
  let i = 0;
  /** One round trip: µs from the publish to the answer's callback. */
  const roundTrip = async (): Promise<number> => {
    const t0 = performance.now();
    const back = new Promise<void>((resolve) => { answer = resolve; });
    if (method === 'copy') {
      buf[0] = i & 255;
      await bus.publish('zc.ping', buf);
    } else {
      const s = bus.tryLoan('zc.ping', size) ?? await bus.loan('zc.ping', size);
      s.data[0] = i & 255;
      await s.publish();
    }
    i++;
    await back;
    return (performance.now() - t0) * 1000;
  };
  const warm = await warmUp(roundTrip);
  const rtts: number[] = [];
  for (let k = 0; k < count; k++) rtts.push(await roundTrip());
  console.log(`warm ${warm}`);
  console.log(`rtt ${rtts.map((x) => x.toFixed(1)).join(' ')}`);
}
const cpu = process.cpuUsage(cpuAtReady);
const ru = process.resourceUsage();
console.log(`cpu ${cpu.user + cpu.system} ${ru.minorPageFault} ${cpu.user} ${cpu.system} ${ru.voluntaryContextSwitches} ${ru.involuntaryContextSwitches}`);
await bus.close();
