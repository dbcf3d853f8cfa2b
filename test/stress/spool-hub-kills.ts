// Stress run (not in `npm test`): durable publishers and subscribers stay connected to a `file://`
// spool while its hub is SIGKILLed and restarted at random moments (sometimes with a subscriber
// held by SIGSTOP over the restart, so publishers are served first). Then every acknowledged
// message (its publish() resolved) must reach every subscriber: prints lost / duplicated /
// reordered counts and exits 1 on any loss.
//   npx tsc -p tsconfig.json && node dist/test/stress/spool-hub-kills.js --messages 100000 --kills 20
// Options: --messages N (total, split over publishers) --publishers P --subscribers S
// --kills K (at least; the hub is killed until the publishers are done too) --seconds T (the
// publishers are paced to take about T seconds, so that the kills fall during traffic; 0: flat out)
// --chatty (subscribers also publish, outside the stress topics: their `up` logs are never drained)
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnNode, type Child } from '../helpers/processes.js';
import { until } from '../helpers/watchdog.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '100000' },
    publishers: { type: 'string', default: '2' },
    subscribers: { type: 'string', default: '2' },
    kills: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '60' },
    chatty: { type: 'boolean', default: false },
  },
});
const total = Number(values.messages);
const P = Number(values.publishers);
const S = Number(values.subscribers);
const K = Number(values.kills);
const perPub = Math.ceil(total / P);
const rate = Number(values.seconds) > 0 ? Math.ceil(perPub / Number(values.seconds)) : 0;

const cli = fileURLToPath(new URL('../../../bin/unibus.js', import.meta.url));
const peer = fileURLToPath(new URL('./stress-peer.js', import.meta.url));
const dir = mkdtempSync('/tmp/unibus-stress-');
const url = `file://${join(dir, 'spool')}`;
const all: Child[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));
const started = Date.now();
const log = (s: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${s}`);

async function startHub(): Promise<Child> {
  const hub = spawnNode(cli, ['hub', url]);
  all.push(hub);
  await hub.waitLine(/^listening /, 60_000);
  return hub;
}

try {
  let hub = await startHub();
  const subs = Array.from({ length: S }, (_, i) => spawnNode(peer, ['sub', `${url}?consumer=sub${i}`, 'st.>', ...(values.chatty ? ['chatty'] : [])]));
  all.push(...subs);
  await Promise.all(subs.map((s) => s.waitLine(/^ready$/, 60_000)));
  const pubs = Array.from({ length: P }, (_, i) => spawnNode(peer, ['pub', `${url}?consumer=pub${i}`, `st.p${i}`, String(perPub), String(rate)]));
  all.push(...pubs);
  const acked = (p: Child) => Number(p.lines.filter((l) => l.startsWith('acked ')).at(-1)?.slice(6) ?? 0);
  const done = () => pubs.every((p) => p.lines.some((l) => l.startsWith('done ')));

  let kills = 0;
  let ackedAtKills = 0;
  let killsInTraffic = 0;
  while (kills < K || !done()) {
    await sleep(rand(200, 1500));
    hub.kill('SIGKILL');
    await hub.exited;
    kills++;
    const stopped = Math.random() < 0.5 ? subs[rand(0, S)]! : undefined;
    stopped?.kill('SIGSTOP');
    await sleep(rand(0, 500));
    hub = await startHub();
    if (stopped) {
      await sleep(rand(100, 1500));
      stopped.kill('SIGCONT');
    }
    const a = pubs.reduce((n, p) => n + acked(p), 0);
    if (!done()) {
      ackedAtKills = a;
      killsInTraffic++;
    }
    log(`kill ${kills}: acked so far ${a}${stopped ? ' (a subscriber was stopped over the restart)' : ''}`);
  }
  await until('publishers done', done, 600_000, 200);
  log(`publishers done; ${killsInTraffic} kills during traffic (${ackedAtKills} messages acknowledged by the last of them)`);

  const reports = new Map<Child, Record<string, { distinct: number; duplicates: number; reordered: number; counts: number[] }>>();
  const ask = async (s: Child) => {
    const before = s.lines.length;
    s.proc.stdin!.write('report\n');
    await until('a report', () => s.lines.slice(before).some((l) => l.startsWith('report ')), 60_000, 50);
    reports.set(s, JSON.parse(s.lines.slice(before).find((l) => l.startsWith('report '))!.slice(7)));
    s.lines.splice(0, s.lines.length); // reports are big: keep memory flat
  };
  const complete = () => [...reports.values()].every((r) => Object.values(r).reduce((n, t) => n + t.distinct, 0) >= perPub * P);
  await until('every subscriber has every acknowledged message', async () => {
    for (const s of subs) await ask(s);
    return complete();
  }, 120_000, 1000).catch((err: Error) => log(err.message));

  let lost = 0;
  let dup = 0;
  let reordered = 0;
  for (const [i, s] of subs.entries()) {
    const r = reports.get(s)!;
    for (let p = 0; p < P; p++) {
      const t = r[`st.p${p}`] ?? { distinct: 0, duplicates: 0, reordered: 0, counts: [] };
      const missing: number[] = [];
      for (let n = 0; n < perPub; n++) if (!t.counts[n]) missing.push(n);
      lost += missing.length;
      dup += t.duplicates;
      reordered += t.reordered;
      log(`sub${i} <- pub${p}: ${perPub} acknowledged, ${missing.length} lost${missing.length ? ` (first ${missing.slice(0, 10).join(',')})` : ''}, ${t.duplicates} duplicated, ${t.reordered} reordered`);
    }
  }
  log(`TOTAL: ${perPub * P} messages x ${S} subscribers, ${kills} hub kills (${killsInTraffic} during traffic): lost=${lost} duplicated=${dup} reordered=${reordered}`);
  process.exitCode = lost > 0 ? 1 : 0;
} finally {
  for (const c of all) {
    c.kill('SIGCONT');
    c.kill('SIGKILL');
  }
  await Promise.all(all.map((c) => c.exited));
  rmSync(dir, { recursive: true, force: true });
}
