/**
 * `npm run soak`: random SIGKILLs of hubs and clients on every local transport under all-to-all
 * load, then counts. Per scheme: a chaos phase (clients publish continuously; the hub or a
 * client is SIGKILLed every 1-3 s and restarted), then a steady phase (everything up: each client
 * publishes `--steady` messages once a probe barrier shows every path up, which every other
 * client must receive, in order), then a clean
 * stop and a search for leftovers.
 *   node dist/bench/soak/run.js [--seconds 120] [--schemes unix,fifo,sysvmq,shm,file] [--clients 3] [--steady 300] [--hub-share 0.4]
 * Counts: published (acknowledged), delivered, duplicated, reordered, gaps (messages missing
 * inside a stream a receiver saw: lost in flight during the chaos; restartGaps: those seen by
 * receivers that replaced a killed one, see below), steady-lost (lost while
 * everything was up: a bug on every transport), leftovers. Bounded in time; removes what it made.
 * On file:// a chaos gap is a broken promise (published after the receiver's subscription was
 * in, while its session lived; restartGaps are the rest, published before a restarted receiver
 * subscribed): its clients keep event logs (event-log.ts) and the run prints each hole with the
 * publisher instance, seq range, how much of it was acknowledged and the kills around it
 * (gap-report.ts). SOAK_KEEP_LOGS=DIR keeps those logs.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { alive, devShmWith, sysvTouchedBy } from './leftovers.js';
import { gapReport, type RunEvent } from './gap-report.js';

const { values } = parseArgs({ options: {
  seconds: { type: 'string' }, schemes: { type: 'string' }, clients: { type: 'string' }, steady: { type: 'string' },
  'hub-share': { type: 'string' },
} });
const SECONDS = Number(values.seconds ?? 120);
const SCHEMES = (values.schemes ?? 'unix,fifo,sysvmq,shm,file').split(',');
const CLIENTS = Number(values.clients ?? 3);
const STEADY = Number(values.steady ?? 300);
/** The share of chaos kills that hit the hub (the rest hit a random client). */
const HUB_SHARE = Number(values['hub-share'] ?? 0.4);
const root = new URL('../../../', import.meta.url).pathname;
const cli = join(root, 'bin', 'unibus.js');
const clientJs = new URL('./client.js', import.meta.url).pathname;
const tag = `soak${randomBytes(3).toString('hex')}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rand = (a: number, b: number): number => a + Math.random() * (b - a);

interface Stream { n: number; first: number; last: number; dups: number; reorders: number; steady: number; probes: number }
interface Stats { acked: number; failed: number; streams: Record<string, Stream> }

function urlFor(scheme: string, dir: string): string {
  switch (scheme) {
    case 'unix': return `unix://${dir}/hub.sock`;
    case 'fifo': return `fifo://${dir}/fifo`;
    case 'sysvmq': return `sysvmq://${dir}/key`;
    case 'shm': return `shm://${tag}`;
    case 'file': return `file://${dir}/spool`;
    default: throw new Error(`soak: no local scheme ${scheme} (pipe: children cannot outlive their hub; memory: is one process)`);
  }
}

async function soakScheme(scheme: string, seconds: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), `unibus-${tag}-${scheme}-`));
  const url = urlFor(scheme, dir);
  const pids = new Set<number>();
  const stats = new Map<string, Stats>(); // by "id/inc"
  const live = new Map<string, { child: ChildProcess; inc: number; ready: boolean; steadyDone: boolean; stderr: string }>();
  let stopping = false;
  let hub: ChildProcess | undefined;
  let hubKills = 0;
  let clientKills = 0;
  const errors: string[] = [];
  const runEvents: RunEvent[] = [];
  const note = (what: string): void => { runEvents.push({ t: Date.now(), what }); };

  const startHub = async (): Promise<void> => {
    const h = spawn(process.execPath, [cli, 'hub', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    pids.add(h.pid!);
    hub = h;
    let err = '';
    h.stderr!.on('data', (d) => { err += d; });
    note(`hub start (pid ${h.pid})`);
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => { errors.push(`hub did not start within 20 s: ${err.trim().split('\n').pop()}`); resolve(); }, 20_000);
      h.stdout!.on('data', (d) => { if (String(d).includes('listening')) { note('hub listening'); clearTimeout(t); resolve(); } });
      h.once('exit', (code) => { clearTimeout(t); if (hub === h && !stopping) errors.push(`hub exited ${code}: ${err.trim().split('\n').pop()}`); resolve(); });
    });
  };
  const startClient = (id: string, inc: number): void => {
    const durable = scheme === 'file' ? `?consumer=c${id}` : '';
    const logArgs = scheme === 'file' ? [dir] : [];
    note(`client c${id}/${inc} start`);
    const child = fork(clientJs, [url + durable, id, String(inc), ...logArgs], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    pids.add(child.pid!);
    const entry = { child, inc, ready: false, steadyDone: false, stderr: '' };
    child.stderr!.on('data', (d) => { entry.stderr = (entry.stderr + d).slice(-3000); });
    live.set(id, entry);
    child.on('message', (m: { t: string } & Stats) => {
      if (m.t === 'stats') stats.set(`${id}/${inc}`, m);
      if (m.t === 'ready' && live.get(id)?.child === child) live.get(id)!.ready = true;
      if (m.t === 'steady-done' && live.get(id)?.child === child) live.get(id)!.steadyDone = true;
    });
    child.on('error', () => undefined);
  };
  const kill = (c: ChildProcess | undefined): Promise<void> => new Promise((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });

  await startHub();
  for (let i = 0; i < CLIENTS; i++) startClient(String(i), 0);
  // Chaos: two thirds of the time.
  const chaosEnd = Date.now() + seconds * 1000 * 2 / 3;
  while (Date.now() < chaosEnd) {
    await sleep(rand(1000, 3000));
    if (Math.random() < HUB_SHARE) {
      const h = hub; hub = undefined; // its exit is ours, not an error
      await kill(h); hubKills++;
      note('hub killed');
      await sleep(rand(200, 1000));
      await startHub();
    } else {
      const id = String(Math.floor(Math.random() * CLIENTS));
      const c = live.get(id)!;
      await kill(c.child); clientKills++;
      note(`client c${id}/${c.inc} killed`);
      await sleep(300);
      startClient(id, c.inc + 1);
    }
  }
  // Steady: everything up; wait until each client has flushed, then a known batch each.
  const readyBy = Date.now() + 30_000;
  while (Date.now() < readyBy && [...live.values()].some((c) => !c.ready)) await sleep(100);
  for (const [id, c] of live) {
    if (!c.ready) errors.push(`client ${id}/${c.inc} (pid ${c.child.pid}, ${c.child.exitCode === null && c.child.signalCode === null ? 'running' : `exited ${c.child.exitCode ?? c.child.signalCode}`}) not connected 30 s after the chaos: ${c.stderr.split('\n').filter((l) => /Error|error:/.test(l)).slice(0, 2).join(' | ').slice(0, 500)}`);
  }
  // Barrier: every client probes until each has a probe from every other one, so every
  // subscription is at the (last) hub and every path is up before the steady batch.
  note('chaos end');
  for (const c of live.values()) c.child.send({ t: 'probe' });
  const probed = (): boolean => [...live].every(([rid, r]) => [...live].every(([pid, p]) =>
    pid === rid || (stats.get(`${rid}/${r.inc}`)?.streams[`${pid}/${p.inc}`]?.probes ?? 0) > 0));
  const probeBy = Date.now() + 30_000;
  while (Date.now() < probeBy && !probed()) await sleep(200);
  if (!probed()) errors.push('the probe barrier was not reached within 30 s: a path stayed down after the chaos');
  for (const c of live.values()) c.child.send({ t: 'steady', n: STEADY });
  const steadyDeadline = Date.now() + Math.max(30_000, seconds * 1000 / 3);
  const steadyMissing = (): number => {
    let missing = 0;
    for (const [rid, r] of live) {
      const st = stats.get(`${rid}/${r.inc}`);
      for (const [pid, p] of live) {
        if (pid === rid) continue;
        missing += STEADY - (st?.streams[`${pid}/${p.inc}`]?.steady ?? 0);
      }
    }
    return missing;
  };
  while (Date.now() < steadyDeadline && ([...live.values()].some((c) => !c.steadyDone) || steadyMissing() > 0)) await sleep(250);
  await sleep(600); // one more stats round
  const steadyLost = steadyMissing();
  const steadyUnacked = [...live.values()].filter((c) => !c.steadyDone).length;
  // Clean stop: clients close, then the hub gets SIGTERM (it removes what it made).
  stopping = true;
  for (const c of live.values()) c.child.send({ t: 'stop' });
  await Promise.race([Promise.all([...live.values()].map((c) => new Promise((r) => (c.child.exitCode !== null ? r(0) : c.child.once('exit', r))))), sleep(10_000)]);
  for (const c of live.values()) await kill(c.child);
  await new Promise<void>((resolve) => {
    if (!hub || hub.exitCode !== null) return resolve();
    const t = setTimeout(() => { errors.push('hub ignored SIGTERM for 10 s'); hub!.kill('SIGKILL'); }, 10_000);
    hub.once('exit', () => { clearTimeout(t); resolve(); });
    hub.kill('SIGTERM');
  });
  await sleep(300);

  let acked = 0; let failed = 0; let delivered = 0; let dups = 0; let reorders = 0; let gaps = 0; let restartGaps = 0;
  for (const [key, s] of stats) {
    acked += s.acked; failed += s.failed;
    // A receiver that replaced a killed one resumes its durable session on file://: it first gets
    // what was routed to its predecessor, then (once subscribed) what is published from then on;
    // what was published while no process of it lived is not promised (docs/spool.md), so the
    // hole between the two is counted apart from the gaps of receivers that were never killed.
    // On file:// the split is made below from the clients' logs, by the spool's promise: a
    // receiver's hole counts as a chaos gap (a broken promise) when it was never killed, or when
    // the hole was published after its subscription was in (gap-report.ts says why and which).
    const restarted = !key.endsWith('/0');
    for (const st of Object.values(s.streams)) {
      delivered += st.n; dups += st.dups; reorders += st.reorders;
      if (restarted) restartGaps += st.last - st.first + 1 - st.n;
      else gaps += st.last - st.first + 1 - st.n;
    }
  }
  const leftovers = {
    processes: [...pids].filter(alive),
    sysv: sysvTouchedBy(pids),
    devShm: devShmWith(tag),
    // By design a spool directory stays (it is the durable state); anything else is a leftover.
    files: readdirSync(dir).filter((n) => !(scheme === 'file' && (n === 'spool' || n.endsWith('.jsonl')))),
  };
  // On file:// the clients' logs split the gaps by the promise (gap-report.ts) instead.
  const holes = scheme === 'file' ? gapReport(dir, runEvents) : undefined;
  if (holes) { gaps = holes.promised; restartGaps = holes.unpromised; }
  for (const h of holes?.lines ?? []) console.log(`  ${h}`);
  const keep = process.env.SOAK_KEEP_LOGS;
  if (keep) for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) renameSync(join(dir, f), join(keep, `${scheme}-${f}`));
  rmSync(dir, { recursive: true, force: true });
  return {
    scheme, seconds, hubKills, clientKills, published: acked, publishFailed: failed, delivered, duplicated: dups,
    reordered: reorders, chaosGaps: gaps, ...(holes ? { chaosGapsAcked: holes.promisedAcked } : {}), restartGaps, steadyExpected: STEADY * CLIENTS * (CLIENTS - 1), steadyLost, steadyUnacked, leftovers, errors,
  };
}

console.log(`unibus soak ${new Date().toISOString()}: ${SECONDS}s over ${SCHEMES.join(',')}, ${CLIENTS} clients, steady=${STEADY}`);
const perScheme = SECONDS / SCHEMES.length;
let bad = 0;
for (const scheme of SCHEMES) {
  const r = await soakScheme(scheme, perScheme);
  console.log(JSON.stringify(r));
  const l = r.leftovers as Record<string, unknown[]>;
  // On file:// a chaos gap is an acknowledged message lost to a live subscriber: a broken promise.
  const durableGaps = r.scheme === 'file' && (r.chaosGaps as number) > 0;
  if ((r.steadyLost as number) > 0 || (r.reordered as number) > 0 || durableGaps || Object.values(l).some((x) => x.length > 0)) bad++;
}
console.log(`done: ${bad} scheme(s) with steady losses, reordering, file:// chaos gaps or leftovers`);
process.exitCode = bad > 0 ? 1 : 0;
