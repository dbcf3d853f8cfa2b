/**
 * One soak client (forked by run.ts with an IPC channel): subscribes to `soak.>`, publishes a
 * numbered stream on `soak.<id>` and reports what it published (acknowledged: `publish()`
 * resolved) and what it received, per publisher stream, twice a second. On `{ t: 'steady', n }`
 * it publishes `n` messages marked steady and reports when they are all acknowledged.
 *   node client.js <url> <id> <incarnation>
 */
import { Bus } from '../../src/index.js';
import { EventLog } from './event-log.js';

const [url, id, inc, logDir] = process.argv.slice(2) as [string, string, string, string | undefined];
/** What this client did and saw, with times, for the run's gap analysis (file:// only). */
const log = logDir ? new EventLog(logDir, `c${id}-${inc}`) : undefined;
/** st: 0 chaos load, 1 steady batch, 2 probe (proves the path from this publisher is up). */
interface Msg { p: string; i: number; s: number; st: 0 | 1 | 2 }
/** What this client saw of one publisher incarnation's stream. */
interface Stream { n: number; first: number; last: number; dups: number; reorders: number; steady: number; probes: number }

const seen = new Map<string, Set<number>>();
const streams: Record<string, Stream> = {};
let acked = 0;
let failed = 0;
let seq = 0;
let steadyWanted = 0;
let stopping = false;
let probing = false;

// Listen first: a message that arrives while connecting must not be lost.
process.on('message', (m: { t: string; n?: number }) => {
  if (m.t === 'probe') probing = true;
  if (m.t === 'steady') steadyWanted = m.n!;
  if (m.t === 'stop') stopping = true;
});

/** A first connect fails at once when no hub is up (reconnecting is for a bus that was connected): retry it. */
async function connect(): Promise<Bus> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Bus.connect(url, { name: `soak-${id}`, reconnect: { maxWait: 60_000 } });
    } catch (err) {
      if (attempt >= 120) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
const bus = await connect();
log?.event('connected');
bus.on('disconnected', (e) => log?.event('disconnected', e.error?.message));
bus.on('reconnected', () => log?.event('reconnected'));
bus.subscribe('soak.>').subscribe({
  next(m) {
    const d = m.data as Msg;
    const key = `${d.p}/${d.i}`;
    let set = seen.get(key);
    let s = streams[key];
    if (!set || !s) { set = new Set(); seen.set(key, set); s = streams[key] = { n: 0, first: d.s, last: -1, dups: 0, reorders: 0, steady: 0, probes: 0 }; }
    if (set.has(d.s)) { s.dups++; return; }
    set.add(d.s);
    log?.received(key, d.s);
    if (d.s < s.last) s.reorders++;
    s.n++;
    s.first = Math.min(s.first, d.s);
    s.last = Math.max(s.last, d.s);
    if (d.st === 1) s.steady++;
    if (d.st === 2) s.probes++;
  },
  error() { /* the run judges by the counts */ },
});
await bus.flush();
log?.event('subscribed');
process.send!({ t: 'ready', id, inc: Number(inc) });

const report = (): void => { log?.flush(); process.send!({ t: 'stats', id, inc: Number(inc), acked, failed, streams }); };
const timer = setInterval(report, 500);


async function publish(st: 0 | 1 | 2): Promise<void> {
  const s = seq++;
  try {
    await bus.publish(`soak.${id}`, { p: id, i: Number(inc), s, st } satisfies Msg);
    acked++;
    log?.acked(s);
  } catch (err) {
    failed++;
    log?.event('publish-failed', `${s} ${(err as Error).message}`);
  }
}

// Chaos load: ~500 messages/s per client, until told to probe; then a probe every 200 ms until
// told to go steady (the run starts the steady batch once every client has every probe).
while (!stopping && steadyWanted === 0) {
  if (probing) {
    await publish(2);
    await new Promise((r) => setTimeout(r, 200));
    continue;
  }
  for (let k = 0; k < 10; k++) await publish(0);
  await new Promise((r) => setTimeout(r, 20));
}
if (!stopping) {
  const n = steadyWanted;
  for (let k = 0; k < n; k++) await publish(1);
  await bus.flush();
  report();
  process.send!({ t: 'steady-done', id, inc: Number(inc) });
  while (!stopping) await new Promise((r) => setTimeout(r, 100));
}
clearInterval(timer);
report();
await bus.close();
process.exit(0);
