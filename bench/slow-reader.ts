/**
 * What one slow reader costs everyone else (issue 13, item 3). A hub (this process) on a Unix
 * socket, one publisher process streaming 1 KiB messages as fast as it may, N fast subscriber
 * processes, and optionally one slow subscriber process that pulls its `for await` subscription
 * for 0.3 s every 4 s (a full buffer stops its reading, so its connection fills). Reported: the
 * fast subscribers' mean throughput over the measured window, with and without the slow one,
 * under two hub policies in the same run:
 *
 * - `hold`: the policy before issue 13 (`backpressureGrace` = forever): a full subscriber holds
 *   the router, i.e. every publisher, until it drains or `maxStall` passes;
 * - `default`: today's defaults: a full subscriber holds the router only while it makes progress
 *   (`backpressureGrace` per drain), then its frames wait in its outbox, up to `maxPendingBytes`.
 *
 *   npm run build && node dist/bench/slow-reader.js [--fast 3] [--seconds 8] [--rounds 3]
 *
 * Not part of `npm test`: it measures (on a loaded machine the figures vary; compare rows of one run).
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus } from '../src/bus/bus.js';

const here = fileURLToPath(import.meta.url);
const PAYLOAD = new Uint8Array(1024);
const WATCHDOG_MS = 10 * 60_000;

// ---- child roles -------------------------------------------------------------------------------

async function role(name: string, url: string): Promise<void> {
  const bus = await Bus.connect(url, { name });
  let count = 0;
  let running = true;
  process.on('message', (m: string) => {
    if (m === 'count') process.send!(count);
    if (m === 'stop') {
      running = false;
      void bus.close().then(() => process.exit(0));
    }
  });
  if (name === 'pub') {
    process.send!('ready');
    while (running) {
      try {
        await bus.publish('stream.x', PAYLOAD);
        count++;
      } catch {
        return;
      }
    }
  } else if (name === 'fast') {
    bus.subscribe('stream.>').subscribe(() => { count++; });
    await bus.flush();
    process.send!('ready');
  } else {
    let drops = 0;
    bus.on('slow-consumer', () => { drops++; process.send!(`dropped ${drops}`); });
    const sub = bus.subscribe('stream.>', { bufferSize: 1024 })[Symbol.asyncIterator]();
    await bus.flush();
    process.send!('ready');
    for (;;) {
      const until = Date.now() + 300;
      while (Date.now() < until) {
        const r = await sub.next();
        if (r.done) return;
        count++;
      }
      await new Promise((r) => setTimeout(r, 3700));
    }
  }
}

// ---- the measurement ---------------------------------------------------------------------------

function start(name: string, url: string): Promise<ChildProcess> {
  const child = fork(here, ['role', name, url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.on('message', (m) => { if (m === 'ready') resolve(child); });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
}

function count(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const on = (m: unknown): void => {
      if (typeof m !== 'number') return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send('count');
  });
}

interface Row { policy: string; slow: boolean; fastRate: number; slowRate: number; slowDrops: number; hubSlowConsumers: number }

async function scenario(policy: 'hold' | 'default', withSlow: boolean, fastN: number, seconds: number): Promise<Row> {
  const path = join(tmpdir(), `unibus-slow-bench-${process.pid}.sock`);
  const options = policy === 'hold' ? { backpressureGrace: 2 ** 31 - 1 } : {};
  const hub = await Bus.listen(`unix://${path}`, options);
  const children: ChildProcess[] = [];
  try {
    const fast = await Promise.all(Array.from({ length: fastN }, () => start('fast', hub.url)));
    children.push(...fast);
    let slowDrops = 0;
    const slow = withSlow ? await start('slow', hub.url) : undefined;
    if (slow) {
      children.push(slow);
      slow.on('message', (m) => { if (typeof m === 'string' && m.startsWith('dropped')) slowDrops++; });
    }
    children.push(await start('pub', hub.url));
    await new Promise((r) => setTimeout(r, 1000)); // warm-up
    const before = await Promise.all(fast.map(count));
    const slowBefore = slow ? await count(slow) : 0;
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = await Promise.all(fast.map(count));
    const slowAfter = slow ? await count(slow) : 0;
    const rates = after.map((a, i) => (a - before[i]!) / seconds);
    return {
      policy, slow: withSlow, fastRate: rates.reduce((s, r) => s + r, 0) / rates.length,
      slowRate: (slowAfter - slowBefore) / seconds, slowDrops, hubSlowConsumers: hub.stats().slowConsumers,
    };
  } finally {
    for (const c of children) c.send('stop');
    await Promise.all(children.map((c) => new Promise((r) => {
      if (c.exitCode !== null) return r(undefined);
      const t = setTimeout(() => c.kill('SIGKILL'), 5000);
      c.once('exit', () => { clearTimeout(t); r(undefined); });
    })));
    await hub.close();
    rmSync(path, { force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, dflt: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const fastN = opt('fast', 3);
  const seconds = opt('seconds', 8);
  const rounds = opt('rounds', 3);
  const watchdog = setTimeout(() => { process.stderr.write('slow-reader bench: watchdog\n'); process.exit(1); }, WATCHDOG_MS);
  const rows: Row[] = [];
  // Rounds alternate the four scenarios, so a change in the machine's load hits them alike.
  for (let round = 1; round <= rounds; round++) {
    for (const policy of ['hold', 'default'] as const) {
      for (const withSlow of [false, true]) {
        const row = await scenario(policy, withSlow, fastN, seconds);
        rows.push(row);
        console.log(`round ${round} ${policy.padEnd(8)} slow reader: ${withSlow ? 'yes' : 'no '}  fast: ${Math.round(row.fastRate)} msg/s each`
          + (withSlow ? `  slow: ${Math.round(row.slowRate)} msg/s, dropped ${row.hubSlowConsumers}x` : ''));
      }
    }
  }
  console.log(`\nmedians over ${rounds} rounds of ${seconds} s, ${fastN} fast subscribers, 1 KiB messages:`);
  for (const policy of ['hold', 'default']) {
    const of = (slow: boolean) => median(rows.filter((r) => r.policy === policy && r.slow === slow).map((r) => r.fastRate));
    const without = of(false);
    const withS = of(true);
    const drops = rows.filter((r) => r.policy === policy && r.slow).map((r) => r.hubSlowConsumers).join('/');
    console.log(`${policy.padEnd(8)} fast subscribers: ${Math.round(without)} msg/s alone, ${Math.round(withS)} msg/s beside the slow reader`
      + ` (${(100 * withS / without).toFixed(0)}%); slow reader dropped per round: ${drops}`);
  }
  clearTimeout(watchdog);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

if (process.argv[2] === 'role') await role(process.argv[3]!, process.argv[4]!);
else await main();
