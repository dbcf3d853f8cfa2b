/**
 * Says which messages a soak run's receivers missed (file:// runs, whose clients keep an
 * EventLog): per hole in a stream, the publisher instance, the sequence range, how many of it the
 * publisher had acknowledged, when they were published, and the run's events (hub and client
 * kills and starts, the receiver's bus events) around that time.
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LogLine, SeqRun } from './event-log.js';

/** An event of the run itself (run.ts): hub kills and starts, client kills and starts. */
export interface RunEvent { t: number; what: string }

interface ClientLog { acked: Set<number>; ackRuns: SeqRun[]; rcv: Map<string, Set<number>>; rcvRuns: Map<string, SeqRun[]>; events: RunEvent[]; flushed: number; subscribed: number }

function readLog(file: string): ClientLog {
  const log: ClientLog = { acked: new Set(), ackRuns: [], rcv: new Map(), rcvRuns: new Map(), events: [], flushed: 0, subscribed: Infinity };
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (!text) continue;
    const l = JSON.parse(text) as LogLine;
    if (l.k === 'ack') { log.ackRuns.push(l.run); for (let s = l.run.from; s <= l.run.to; s++) log.acked.add(s); }
    if (l.k === 'rcv') {
      let set = log.rcv.get(l.stream);
      if (!set) { set = new Set(); log.rcv.set(l.stream, set); log.rcvRuns.set(l.stream, []); }
      log.rcvRuns.get(l.stream)!.push(l.run);
      for (let s = l.run.from; s <= l.run.to; s++) set.add(s);
    }
    if (l.k === 'ev') log.events.push({ t: l.t, what: l.detail ? `${l.what} (${l.detail})` : l.what });
    if (l.k === 'ev' && l.what === 'subscribed') log.subscribed = l.t;
    if (l.k === 'flushed') log.flushed = l.t;
  }
  return log;
}

/** When `seq` was acknowledged, as far as the publisher's runs say (undefined if it was not). */
function ackTime(runs: readonly SeqRun[], seq: number): number | undefined {
  const run = runs.find((r) => r.from <= seq && seq <= r.to);
  if (!run) return undefined;
  return run.from === run.to ? run.t0 : run.t0 + (run.t1 - run.t0) * (seq - run.from) / (run.to - run.from);
}

/**
 * The holes found: a line for each promised one; how many messages the promised ones hold, and
 * of those acknowledged; how many the others hold.
 */
export interface GapReport { lines: string[]; promised: number; promisedAcked: number; unpromised: number }

/**
 * Every hole in a stream a receiver saw, split by the spool's promise (docs/spool.md): at least
 * once for what was routed while the receiver's session held its subscription. A receiver that
 * was never killed (incarnation 0) subscribed before the first message it counts of a stream,
 * and a hub kill resumes its session: every hole it sees is promised. A receiver that replaced a
 * killed one first gets what was routed to its predecessor, then what was routed once its own
 * subscription was in: a hole is promised only when its first message was acknowledged (so
 * appended to the publisher's log, and routed) after that receiver's flush() resolved.
 */
export function gapReport(dir: string, runEvents: readonly RunEvent[]): GapReport {
  const logs = new Map<string, ClientLog>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) logs.set(f.slice(1, -'.jsonl'.length), readLog(join(dir, f)));
  const t0 = Math.min(...runEvents.map((e) => e.t));
  const at = (t: number | undefined): string => (t === undefined ? '?' : `${((t - t0) / 1000).toFixed(2)}s`);
  const out: GapReport = { lines: [], promised: 0, promisedAcked: 0, unpromised: 0 };
  for (const [rkey, r] of logs) {
    for (const [stream, got] of r.rcv) {
      const pub = logs.get(stream.replace('/', '-'));
      const seqs = [...got].sort((a, b) => a - b);
      for (let k = 1; k < seqs.length; k++) {
        const a = seqs[k - 1]! + 1; const b = seqs[k]! - 1;
        if (a > b) continue;
        let acked = 0;
        for (let s = a; s <= b; s++) if (pub?.acked.has(s)) acked++;
        const from = pub ? ackTime(pub.ackRuns, a - 1) : undefined;
        const to = pub ? ackTime(pub.ackRuns, b + 1) : undefined;
        const lo = (from ?? to ?? 0) - 1500; const hi = (to ?? from ?? 0) + 1500;
        const near = [...runEvents, ...r.events.map((e) => ({ t: e.t, what: `receiver ${e.what}` }))]
          .filter((e) => e.t >= lo && e.t <= hi).sort((x, y) => x.t - y.t).map((e) => `${at(e.t)} ${e.what}`);
        const publishedAt = (pub ? ackTime(pub.ackRuns, a) : undefined) ?? from;
        if (!rkey.endsWith('-0') && !(publishedAt !== undefined && publishedAt > r.subscribed)) {
          out.unpromised += b - a + 1;
          continue;
        }
        out.promised += b - a + 1;
        out.promisedAcked += acked;
        out.lines.push(`receiver c${rkey} missed ${stream} seq ${a}..${b} (${b - a + 1}, ${acked} acked${pub ? '' : ', no publisher log'}), published between ${at(from)} and ${at(to)}; around: ${near.join('; ')}`);
      }
    }
  }
  return out;
}
