/**
 * Steady-state CPU per sample (issue 16): one long measurement per process layout, counted only
 * after the first fifth of the samples, so the figures leave out the JIT, the first touches of
 * the ring's and the pool's pages and the pipeline's start (run.ts counts them: its CPU per
 * sample at 64 KiB is 2-4x this one's).
 * - relay (default): a publisher client → the hub (this process) → a subscriber client;
 * - `--p2p`: a publisher client → the hub, which subscribes itself (two processes).
 * Printed per process: CPU µs per sample (and the system part of it), and per sample the read and write system calls
 * (/proc/self/io syscr, syscw) and the voluntary and involuntary context switches, all over the
 * same window; the rate is the receiver's over that window.
 *
 * Run: npm run build && node dist/bench/zero-copy/steady.js [--count 1000000] [--size 65536]
 *      [--slots 1024] [--window 256] [--copy] (64 B-style copies: `publish(bytes)`) [--p2p]
 * `--slots`: samples each pool holds (the library's default pool, 64 MiB, holds 1,024 of 64 KiB).
 * `BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=DIR'` profiles the publisher and the subscriber;
 * the hub is this process (`node --cpu-prof … steady.js`).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/index.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const [role, roleUrl] = args[0] === 'pub' || args[0] === 'sub' ? [args[0], args[1]!] : [undefined, undefined];
const count = Number(opt('count', '1000000'));
const size = Number(opt('size', '65536'));
const slots = Number(opt('slots', '1024'));
const window = Math.max(1, Number(opt('window', '256')));
const copy = args.includes('--copy');
/** Samples left out at the start (a fifth). */
const warm = Math.floor(count / 5);
/** BENCH_NODE_ARGS: extra Node flags for the publisher and subscriber (give the hub, this process, its own). */
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];

interface Snap { cpu: number; sys: number; r: number; w: number; vcs: number; ics: number; t: number }

function snap(): Snap {
  const c = process.cpuUsage();
  const io = readFileSync('/proc/self/io', 'utf8');
  const field = (k: string): number => Number(new RegExp(`${k}: (\\d+)`).exec(io)![1]);
  const r = process.resourceUsage();
  return { cpu: c.user + c.system, sys: c.system, r: field('syscr'), w: field('syscw'), vcs: r.voluntaryContextSwitches, ics: r.involuntaryContextSwitches, t: performance.now() };
}

const per = (a: Snap, b: Snap, n: number): string => `cpu ${((b.cpu - a.cpu) / n).toFixed(2)} µs (system ${((b.sys - a.sys) / n).toFixed(2)}), read ${((b.r - a.r) / n).toFixed(3)}`
  + ` write ${((b.w - a.w) / n).toFixed(3)} voluntary ${((b.vcs - a.vcs) / n).toFixed(3)} involuntary ${((b.ics - a.ics) / n).toFixed(3)}`;

/** Counts `count` messages on `bus` (zero-copy, released at once, unless --copy); `onWarm` at the end of the warm-up. */
function receive(bus: Bus, onWarm: () => void): Promise<{ from: Snap; to: Snap }> {
  let n = 0;
  let from: Snap | undefined;
  return new Promise((resolve) => {
    const on = (data: Uint8Array, sample?: { release(): void }): void => {
      void data[0];
      sample?.release(); // the message itself, not a closure made per message
      if (++n === warm) {
        from = snap();
        onWarm();
      }
      if (n === count) resolve({ from: from!, to: snap() });
    };
    if (copy) bus.subscribe('zc.data').subscribe((m) => on(m.data as Uint8Array));
    else bus.subscribe('zc.data', { zeroCopy: true, bufferSize: 1 << 16 }).subscribe((m) => on(m.data, m));
  });
}

async function publisher(url: string): Promise<void> {
  const bus = await Bus.connect(url, { reconnect: false });
  const lines = createInterface({ input: process.stdin });
  const next = (): Promise<void> => new Promise((resolve) => lines.once('line', () => resolve()));
  console.log('ready');
  await next(); // go
  let markAt = -1;
  let from: Snap | undefined;
  void next().then(() => { markAt = 0; }); // the receiver is past its warm-up
  const buf = new Uint8Array(size).fill(7);
  let last: Promise<void> | undefined;
  for (let i = 1; i <= count; i++) {
    if (markAt === 0) {
      markAt = i;
      from = snap();
    }
    if (copy) {
      buf[0] = i & 255;
      last = bus.publish('zc.data', buf);
    } else {
      const s = bus.tryLoan('zc.data', size) ?? await bus.loan('zc.data', size, { timeout: 60_000 });
      s.data[0] = i & 255;
      last = s.publish();
    }
    if (i % window === 0) await last;
  }
  await last;
  await bus.flush();
  console.log(`pub ${from ? per(from, snap(), count - markAt + 1) : 'no mark (raise --count)'}`);
  lines.close();
  process.stdin.destroy();
  await bus.close();
}

async function subscriber(url: string): Promise<void> {
  const bus = await Bus.connect(url, { reconnect: false });
  const got = receive(bus, () => console.log('warm'));
  await bus.flush();
  console.log('ready');
  const { from, to } = await got;
  console.log(`sub ${per(from, to, count - warm)} rate ${((count - warm) / ((to.t - from.t) / 1000) / 1000).toFixed(1)}k/s`);
  await bus.close();
}

interface Child { child: ChildProcess; line(re: RegExp): Promise<string>; send(text: string): void; exited: Promise<void> }

function start(role: 'pub' | 'sub', url: string): Child {
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(import.meta.url), role, url, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of waiters.splice(0)) if (w.re.test(l)) w.resolve(l); else waiters.push(w);
  });
  return {
    child,
    line: (re) => new Promise((resolve) => {
      const l = lines.find((x) => re.test(x));
      if (l) resolve(l);
      else waiters.push({ re, resolve });
    }),
    send: (text) => { child.stdin!.write(`${text}\n`); },
    exited: new Promise((resolve) => { child.once('exit', () => resolve()); }),
  };
}

async function main(): Promise<void> {
  const url = `shm://zcsteady${process.pid}?size=4MiB&pool=${Math.ceil((slots * size) / (1 << 20))}MiB`;
  const hub = await Bus.listen(url, { maxPendingBytes: 1 << 30, maxPendingTotal: 2 ** 31 });
  const kids: Child[] = [];
  // Interrupted: the children go too (their hub is this process).
  process.once('SIGINT', () => {
    for (const k of kids) k.child.kill('SIGKILL');
    void hub.close().then(() => process.exit(130));
  });
  try {
    const what = `${copy ? 'copies' : 'loans'} of ${size} B, ${slots} slots, window ${window}, ${count} samples, the last ${count - warm} counted`;
    if (args.includes('--p2p')) {
      let pub: Child | undefined;
      const got = receive(hub, () => pub?.send('mark'));
      await hub.flush();
      pub = start('pub', url);
      kids.push(pub);
      await pub.line(/^ready$/);
      pub.send('go');
      const { from, to } = await got;
      console.log(`p2p, ${what}: ${((count - warm) / ((to.t - from.t) / 1000) / 1000).toFixed(1)}k/s`);
      console.log(`  publisher: ${(await pub.line(/^pub /)).slice(4)}`);
      console.log(`  hub (receives): ${per(from, to, count - warm)}`);
      await pub.exited;
      return;
    }
    const sub = start('sub', url);
    kids.push(sub);
    await sub.line(/^ready$/);
    const pub = start('pub', url);
    kids.push(pub);
    await pub.line(/^ready$/);
    pub.send('go');
    await sub.line(/^warm$/);
    const from = snap();
    pub.send('mark');
    const subLine = await sub.line(/^sub /);
    const to = snap();
    console.log(`relay, ${what}: ${/rate (\S+)/.exec(subLine)![1]}`);
    console.log(`  publisher: ${(await pub.line(/^pub /)).slice(4)}`);
    console.log(`  hub: ${per(from, to, count - warm)}`);
    console.log(`  subscriber: ${subLine.slice(4).replace(/ rate .*/, '')}`);
    await Promise.all([pub.exited, sub.exited]);
  } finally {
    await hub.close();
  }
}

if (role === 'pub') await publisher(roleUrl!);
else if (role === 'sub') await subscriber(roleUrl!);
else await main();
