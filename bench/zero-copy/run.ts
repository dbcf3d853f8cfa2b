/**
 * Zero-copy bench (issue 16): the same run measures, over `shm://`, payloads of 64 KiB to 16 MiB
 * published by `loan()` (only a descriptor crosses the hub) beside today's copy path
 * (`publish(bytes)`: publisher → hub ring → subscriber ring) and beside 64-byte messages through
 * the same path (the per-message bound of the bus and the hub: a loan cannot go faster), in two
 * shapes:
 * - `p2p`: a publisher client → the hub process, which subscribes itself (two processes);
 * - `relay`: a publisher client → the hub → a subscriber client (three processes).
 * Receivers read one byte of each message (a zero-copy receiver releases it at once).
 * Each bus's pool holds 64 MiB or 256 samples, whichever is larger (`?pool=`, `--slots`, see
 * poolFor). Every measurement warms up first (meter.ts), then counts about `--seconds`: msgs/s at
 * the receiver, median of `--runs`, and the CPU each process spent per message over that window. Then a ping-pong of `--ping-size` samples with `?spin`, in
 * two shapes (pinger client → hub, which answers; pinger client → hub → ponger client and back):
 * p10, p50 and p99 round trip, after an unmeasured warm-up (peer.ts `warmUp`).
 *
 * Run: npm run build && node dist/bench/zero-copy/run.js [--runs 3] [--sizes 64k,1m,4m,16m] [--seconds 2]
 *      [--shapes p2p,relay] [--ping-size 1m] [--pings 2000] [--spin 200] [--no-ping]
 *      [--loans-only] (no copy and 64 B figures: to profile the loan path alone) [--ping-only] (only the ping-pong)
 *      [--window 256] (publishes in flight before the publisher awaits one; 1: await each)
 *      [--slots 256] (samples each pool holds at least, see poolFor)
 * `BENCH_NODE_ARGS` gives every process (hub included) extra Node flags, as in `npm run bench`:
 * `--max-semi-space-size=1` pins V8's young generation for an A/B (GC luck out of the figures),
 * `--cpu-prof --cpu-prof-dir=DIR` profiles every process.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/index.js';
import { sweepZeroCopyBench } from './sweep.js';
import { ThroughputMeter, WARM_RULE, type Measured } from './meter.js';
import { creditGrant } from './credits.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : def;
};
const runs = Number(opt('runs', '3'));
const seconds = Number(opt('seconds', '2'));
const sizes = opt('sizes', '64k,1m,4m,16m').split(',').map(parseSize);
/**
 * Publishes in flight before the publisher awaits one (default 256, as bench/relay/peer.ts): a
 * producer does not wait for each sample. 1: every loan and every publish awaited (the figures
 * of sessions 5 to 7).
 */
const publishWindow = Math.max(1, Number(opt('window', '256')));
/** Samples each pool holds at least (poolFor). */
const slots = Math.max(1, Number(opt('slots', '256')));
const peerJs = fileURLToPath(new URL('./peer.js', import.meta.url));
/** BENCH_NODE_ARGS: extra Node flags for every process of the bench (the hub is this one). */
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
function parseSize(t: string): number {
  const m = /^(\d+)([km]?)$/i.exec(t.trim());
  if (!m) throw new RangeError(`bad size: ${t}`);
  const n = Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1024 : m[2]?.toLowerCase() === 'm' ? 1 << 20 : 1);
  // A 16 MiB frame is the shm transport's limit: the copy path needs room for the envelope.
  return n >= 16 << 20 ? n - 4096 : n;
}

/** Children alive now: killed when this process is interrupted. */
const children = new Set<ChildProcess>();

interface Proc { lines: string[]; wait(re: RegExp): Promise<string>; send(line?: string): void; kill(): void; exited: Promise<number | null> }
function start(role: string, url: string, method: string, size: number, count: number): Proc {
  const child = spawn(process.execPath, [...nodeArgs, peerJs, role, url, method, String(size), String(count), String(publishWindow)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.add(child);
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void; reject: (e: Error) => void }> = [];
  // A child that ends before the line awaited fails the measurement instead of hanging it.
  child.once('exit', (code, signal) => {
    children.delete(child);
    setTimeout(() => {
      for (const w of waiters.splice(0)) w.reject(new Error(`${role} exited (code=${code} signal=${signal}) before ${w.re}`));
    }, 500);
  });
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
    send: (line = 'go') => { child.stdin!.write(`${line}\n`); },
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
}

/**
 * A pool of the library's default size (64 MiB: 1,024 samples of 64 KiB) or of `--slots` samples
 * (256 by default: 256 MiB at 1 MiB, 4 GiB at 16 MiB), whichever is larger: what a user gets at
 * 64 KiB, and not fewer than 256 in flight at any size. Before session 12 every pool held
 * `--slots` samples, 16 MiB at 64 KiB: the publisher then found the pool full every ~255 samples
 * and waited for a room notice (two hops), and a relayed 64 KiB sample cost 1.6 / 1.2 / 1.1 µs
 * (publisher / hub / subscriber) against 0.6 / 0.45 / 0.5 with 1,024 slots, warmed up alike in the
 * same minutes. (Fewer slots at 64 KiB also kept first page faults out of the old cold count;
 * the warm-up now does.) Pages are only backed where written (one byte per sample here), so a
 * large pool costs address space, not memory.
 */
const poolFor = (size: number): string => `${Math.max(64, Math.ceil((slots * size) / (1 << 20)))}MiB`;
const hubUrl = (size: number, query = ''): string => `shm://zcbench${process.pid}?size=64MiB&pool=${poolFor(size)}${query}`;
const listen = (url: string): Promise<Bus> =>
  // The copy path queues whole payloads for a slower subscriber: with the default 32 MiB per
  // subscriber a 16 MiB relay drops it as a slow consumer, so the hub may queue more here.
  Bus.listen(url, { maxPendingBytes: 1 << 30, maxPendingTotal: 2 ** 31 });

interface Figure { rate: number; cpu?: { pub: number; hub: number; sub?: number }; warm?: number }

/**
 * One measurement, warmed up first (meter.ts): msgs/s at the receiver over the measured window
 * and the CPU µs per message of each process over it (p2p: publisher / hub, which receives).
 */
async function measure(shape: 'p2p' | 'relay', method: 'loan' | 'copy', size: number): Promise<Figure> {
  const url = hubUrl(size);
  const hub = await listen(url);
  let pub: Proc | undefined;
  let sub: Proc | undefined;
  try {
    let hubCpu = process.cpuUsage();
    let hubCpuMicros = 0;
    let got: Measured | undefined;
    let received = (): number => 0;
    const measured = new Promise<void>((resolve, reject) => {
      const onWarm = (): void => {
        hubCpu = process.cpuUsage();
        pub!.send('mark');
      };
      const onDone = (m: Measured): void => {
        const c = process.cpuUsage(hubCpu);
        got = m;
        hubCpuMicros = c.user + c.system;
        pub!.send('stop');
        resolve();
      };
      if (shape === 'p2p') {
        const meter = new ThroughputMeter(size, method, seconds, onWarm, onDone);
        received = () => meter.received;
        const grant = method === 'copy' ? creditGrant(hub, size) : undefined;
        const on = (data: Uint8Array, sample?: { release(): void }): void => {
          void data[0];
          sample?.release(); // the message itself, not a closure made per message
          meter.count();
          grant?.(meter.received);
        };
        if (method === 'loan') hub.subscribe('zc.data', { zeroCopy: true }).subscribe((m) => on(m.data, m));
        else hub.subscribe('zc.data').subscribe((m) => on(m.data as Uint8Array));
        return;
      }
      sub = start('sub', url, method, size, seconds);
      sub.wait(/^warm /).then(onWarm, reject);
      sub.wait(/^got /).then((l) => {
        const [count, secs, cpu, warm] = l.split(' ').slice(1).map(Number) as [number, number, number, number];
        onDone({ count, seconds: secs, cpuMicros: cpu, warm });
      }, reject);
    });
    await hub.flush();
    if (sub) await sub.wait(/^ready$/);
    pub = start('pub', url, method, size, 0);
    await pub.wait(/^ready$/);
    pub.send('go');
    // A publisher that ends early fails the measurement instead of hanging it (the relay's
    // subscriber does so through its awaited lines).
    const early = pub.exited.then((code) => { throw new Error(`pub exited (code=${code}) before the measured window ended`); });
    early.catch(() => undefined);
    await Promise.race([measured, early]);
    const [total, pubCpu, pubCount] = (await pub.wait(/^sent /)).split(' ').slice(1).map(Number) as [number, number, number];
    if (sub) sub.send(`end ${total}`);
    else await until(() => received() >= total);
    await Promise.all([pub.exited, sub?.exited]);
    const m = got!;
    const perPub = pubCpu / Math.max(1, pubCount);
    const cpu = shape === 'p2p'
      ? { pub: perPub, hub: hubCpuMicros / m.count }
      : { pub: perPub, hub: hubCpuMicros / m.count, sub: m.cpuMicros / m.count };
    return { rate: m.count / m.seconds, cpu, warm: m.warm };
  } catch (err) {
    // A failed measurement (a subscriber dropped as a slow consumer) leaves no peer behind: its
    // publisher would otherwise wait for credit or room that never comes.
    pub?.kill();
    sub?.kill();
    throw err;
  } finally {
    await hub.close();
  }
}

/** Resolves once `done()` holds (polled every 5 ms: only the end of a measurement waits here). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * Ping-pong of samples of `size` with `spin` µs of polling: round trips in µs. `relay`: pinger
 * client → hub → ponger client → hub → pinger (three processes); `p2p`: pinger client → hub,
 * which answers itself (two processes).
 */
async function pingPong(shape: 'p2p' | 'relay', method: 'loan' | 'copy', size: number, pings: number, spin: number): Promise<{ rtts: number[]; warm: number }> {
  const url = hubUrl(size, `&spin=${spin}`);
  const hub = await listen(url);
  try {
    let pong: Proc | undefined;
    if (shape === 'relay') {
      pong = start('pong', url, method, size, pings);
      await pong.wait(/^ready$/);
    } else {
      // The hub answers as the ponger peer does (peer.ts), by a loan or a copy of the same size.
      const buf = new Uint8Array(size);
      hub.subscribe('zc.ping', { zeroCopy: true }).subscribe((m) => {
        const first = m.data[0]!;
        m.release();
        if (method === 'copy') {
          buf[0] = first;
          void hub.publish('zc.pong', buf);
          return;
        }
        const s = hub.tryLoan('zc.pong', size);
        if (s) {
          s.data[0] = first;
          void s.publish();
        } else void hub.loan('zc.pong', size).then((l) => { l.data[0] = first; return l.publish(); });
      });
      await hub.flush();
    }
    const ping = start('ping', url, method, size, pings);
    await ping.wait(/^ready$/);
    ping.send();
    const line = await ping.wait(/^rtt /);
    pong?.send(); // every answer has arrived: the ponger may close
    await Promise.all([ping.exited, pong?.exited]);
    const warm = Number((await ping.wait(/^warm /)).split(' ')[1]);
    return { rtts: line.split(' ').slice(1).map(Number), warm };
  } finally {
    await hub.close();
  }
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const fmt = (n: number): string => (Number.isNaN(n) ? 'failed' : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const human = (n: number): string => (n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MiB` : `${Math.round(n / 1024)} KiB`);
const cpuText = (f: Figure): string => (f.cpu ? [f.cpu.pub, f.cpu.hub, f.cpu.sub].filter((x) => x !== undefined).map((x) => x.toFixed(2)).join(' / ') : '');

/** Median of `runs` measurements, by rate; the CPU figures of that run. */
async function figure(shape: 'p2p' | 'relay', method: 'loan' | 'copy', size: number, label: string): Promise<Figure> {
  const xs: Figure[] = [];
  for (let r = 0; r < runs; r++) {
    try {
      xs.push(await measure(shape, method, size));
    } catch (err) {
      // One failed measurement (the copy path's subscriber dropped as a slow consumer at 16 MiB
      // relayed, under load) is reported, not the end of the run.
      process.stderr.write(`${shape} ${label} ${method}: run ${r + 1} failed: ${(err as Error).message}\n`);
      xs.push({ rate: Number.NaN });
    }
  }
  process.stderr.write(`${shape} ${label} ${method}: ${xs.map((x) => `${fmt(x.rate)} (${cpuText(x)} after ${fmt(x.warm ?? Number.NaN)})`).join(', ')}\n`);
  const ok = xs.filter((x) => !Number.isNaN(x.rate)).sort((a, b) => a.rate - b.rate);
  return ok[ok.length >> 1] ?? { rate: Number.NaN };
}

async function main(): Promise<void> {
  sweepZeroCopyBench(); // what earlier runs that were killed left in /dev/shm
  console.log(`zero-copy bench over shm://, ${runs} run(s) per figure, median msgs/s at the receiver over ${seconds} s after a ${WARM_RULE}; publisher window ${publishWindow}; pools of 64 MiB or ${slots} samples, whichever is larger`);
  console.log('CPU µs per message over the same window: publisher / hub / subscriber (p2p: publisher / hub, which receives)');
  console.log('| shape | size | 64 B copy msgs/s | copy msgs/s | loan msgs/s | loan GB/s | loan / copy | loan / 64 B | loan CPU µs/msg | 64 B CPU µs/msg |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const shape of (args.includes('--ping-only') ? [] : opt('shapes', 'p2p,relay').split(',')) as Array<'p2p' | 'relay'>) {
    // The bound: 64-byte messages through the same path, in the same run.
    const skip = { rate: Number.NaN };
    const loansOnly = args.includes('--loans-only');
    const small = loansOnly ? skip : await figure(shape, 'copy', 64, '64 B');
    for (const size of sizes) {
      const copy = loansOnly ? skip : await figure(shape, 'copy', size, human(size));
      const loan = await figure(shape, 'loan', size, human(size));
      console.log(`| ${shape} | ${human(size)} | ${fmt(small.rate)} | ${fmt(copy.rate)} | ${fmt(loan.rate)} | ${((loan.rate * size) / 1e9).toFixed(1)} `
        + `| ${(loan.rate / copy.rate).toFixed(1)}x | ${(loan.rate / small.rate).toFixed(2)} | ${cpuText(loan)} | ${cpuText(small)} |`);
    }
  }
  if (!args.includes('--no-ping')) {
    const size = parseSize(opt('ping-size', '1m'));
    const spin = Number(opt('spin', '200'));
    const pings = Number(opt('pings', '2000'));
    console.log(`\nping-pong with ?spin=${spin}, round trips after an unmeasured warm-up (at least 4,000 round trips, until they stop getting faster):`);
    const shapes = [['p2p', 'two processes: pinger → hub, which answers'], ['relay', 'three processes: pinger → hub → ponger → hub → pinger']] as const;
    for (const [shape, text] of shapes) {
      console.log(`${text}:`);
      for (const [method, bytes, label] of ([['loan', size, `${human(size)} loans`], ['copy', 64, '64 B messages (the bound)']] as const).filter(([m]) => (process.env.SP_METHODS ?? 'loan,copy').split(',').includes(m))) {
        const { rtts, warm } = await pingPong(shape, method, bytes, pings, spin);
        // p10 beside p50: on a loaded machine p50 is mostly the scheduler's (other processes on
        // the two cores), p10 the path itself when both processes had a core.
        console.log(`- ${label}: p10 ${pct(rtts, 0.1).toFixed(1)} µs, p50 ${pct(rtts, 0.5).toFixed(1)} µs, p99 ${pct(rtts, 0.99).toFixed(1)} µs (${rtts.length} round trips after ${warm} of warm-up)`);
      }
    }
  }
}

// Interrupted: the children go first (a hub killed under them would leave their names), then ours.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const c of children) c.kill('SIGKILL');
    setTimeout(() => {
      sweepZeroCopyBench();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }, 200);
  });
}
// The hub runs in this process: with BENCH_NODE_ARGS it runs again under those flags (once).
if (nodeArgs.length > 0 && process.env.UNIBUS_ZC_BENCH_FLAGGED === undefined) {
  const again = spawn(process.execPath, [...nodeArgs, fileURLToPath(import.meta.url), ...args], {
    stdio: 'inherit', env: { ...process.env, UNIBUS_ZC_BENCH_FLAGGED: '1' },
  });
  children.add(again); // interrupted: ended like the peers, then its names are swept (its pid is gone)
  process.exitCode = await new Promise<number>((resolve) => again.once('exit', (code) => resolve(code ?? 1)));
} else {
  // Last, whatever the way out (the hub of the measurement under way may still be open).
  process.once('exit', () => sweepZeroCopyBench());
  await main();
}
