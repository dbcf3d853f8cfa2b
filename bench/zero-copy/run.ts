/**
 * Zero-copy bench (issue 16): the same run measures, over `shm://`, payloads of 64 KiB to 16 MiB
 * published by `loan()` (only a descriptor crosses the hub) beside today's copy path
 * (`publish(bytes)`: publisher → hub ring → subscriber ring), in two shapes:
 * - `p2p`: a publisher client → the hub process, which subscribes itself (two processes);
 * - `relay`: a publisher client → the hub → a subscriber client (three processes).
 * Receivers read one byte of each message (a zero-copy receiver releases it at once).
 * Reported: msgs/s at the receiver (first to last message), median of `--runs`.
 *
 * Run: npm run build && node dist/bench/zero-copy/run.js [--runs 3] [--sizes 64k,1m,4m,16m] [--seconds 2] [--shapes p2p,relay]
 * @module
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const runs = Number(opt('runs', '3'));
const seconds = Number(opt('seconds', '2'));
const sizes = opt('sizes', '64k,1m,4m,16m').split(',').map(parseSize);
const peerJs = fileURLToPath(new URL('./peer.js', import.meta.url));

function parseSize(t: string): number {
  const m = /^(\d+)([km]?)$/i.exec(t.trim());
  if (!m) throw new RangeError(`bad size: ${t}`);
  const n = Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1024 : m[2]?.toLowerCase() === 'm' ? 1 << 20 : 1);
  // A 16 MiB frame is the shm transport's limit: the copy path needs room for the envelope.
  return n >= 16 << 20 ? n - 4096 : n;
}

interface Proc { lines: string[]; wait(re: RegExp): Promise<string>; send(): void; exited: Promise<number | null> }
function start(role: string, url: string, method: string, size: number, count: number): Proc {
  const child = spawn(process.execPath, [peerJs, role, url, method, String(size), String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  // A child that ends before the line awaited fails the measurement instead of hanging it.
  child.once('exit', (code, signal) => setTimeout(() => {
    for (const w of waiters.splice(0)) w.reject(new Error(`${role} exited (code=${code} signal=${signal}) before ${w.re}`));
  }, 500));
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) if (w.re.test(l)) w.resolve(l); else waiters.push(w);
  });
  return {
    lines,
    wait: (re) => new Promise((resolve, reject) => {
      const l = lines.find((x) => re.test(x));
      if (l) resolve(l);
      else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`${role} already exited before ${re}`));
      else waiters.push({ re, resolve, reject });
    }),
    send: () => { child.stdin!.write('go\n'); },
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

/** One measurement: msgs/s at the receiver. */
async function measure(shape: 'p2p' | 'relay', method: 'loan' | 'copy', size: number, count: number): Promise<number> {
  const url = `shm://zcbench${process.pid}?size=64MiB&pool=256MiB`;
  // The copy path queues whole payloads for a slower subscriber: with the default 32 MiB per
  // subscriber a 16 MiB relay drops it as a slow consumer, so the hub may queue more here.
  const hub = await Bus.listen(url, { maxPendingBytes: 1 << 30, maxPendingTotal: 2 ** 31 });
  try {
    let rate = 0;
    if (shape === 'p2p') {
      let n = 0;
      let first = 0;
      let last = 0;
      const done = new Promise<void>((resolve) => {
        const on = (data: Uint8Array, release?: () => void): void => {
          if (n === 0) first = performance.now();
          void data[0];
          release?.();
          if (++n === count) { last = performance.now(); resolve(); }
        };
        if (method === 'loan') hub.subscribe('zc.data', { zeroCopy: true }).subscribe((m) => on(m.data, () => m.release()));
        else hub.subscribe('zc.data').subscribe((m) => on(m.data as Uint8Array));
      });
      await hub.flush();
      const pub = start('pub', url, method, size, count);
      await pub.wait(/^ready$/);
      pub.send();
      await done;
      await pub.exited;
      rate = (count - 1) / ((last - first) / 1000);
    } else {
      const sub = start('sub', url, method, size, count);
      await sub.wait(/^ready$/);
      const pub = start('pub', url, method, size, count);
      await pub.wait(/^ready$/);
      pub.send();
      const got = await sub.wait(/^got /);
      await Promise.all([pub.exited, sub.exited]);
      const secs = Number(got.split(' ')[2]);
      rate = (count - 1) / secs;
    }
    return rate;
  } finally {
    await hub.close();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const human = (n: number): string => (n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${Math.round(n / 1024)} KiB`);

console.log(`zero-copy bench over shm://, ${runs} run(s) per figure, median msgs/s at the receiver`);
console.log('| shape | size | copy msgs/s | loan msgs/s | loan GB/s | loan / copy |');
console.log('|---|---|---|---|---|---|');
for (const shape of opt('shapes', 'p2p,relay').split(',') as Array<'p2p' | 'relay'>) {
  for (const size of sizes) {
    const figures: Record<string, number> = {};
    for (const method of ['copy', 'loan'] as const) {
      // Enough messages for about `seconds` at a guessed rate, at least 50.
      const guess = method === 'loan' ? 2000 : Math.max(20, 1e9 / size);
      const count = Math.max(50, Math.round(guess * seconds));
      const xs: number[] = [];
      for (let r = 0; r < runs; r++) xs.push(await measure(shape, method, size, count));
      figures[method] = median(xs);
      process.stderr.write(`${shape} ${human(size)} ${method}: ${xs.map(fmt).join(' ')}\n`);
    }
    const loan = figures.loan!;
    const copy = figures.copy!;
    console.log(`| ${shape} | ${human(size)} | ${fmt(copy)} | ${fmt(loan)} | ${((loan * size) / 1e9).toFixed(1)} | ${(loan / copy).toFixed(1)}x |`);
  }
}
