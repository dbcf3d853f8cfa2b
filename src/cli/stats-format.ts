/** Text rendering of `$sys.stats` for `unibus top` (one frame; the caller refreshes it). */
import type { StatsMessage } from '../bus/hub/stats.js';

/** 1234567 -> "1.2M"; plain below 1000. */
export function si(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Bytes as B / KiB / MiB. */
export function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)}GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)}MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)}KiB`;
  return `${n}B`;
}

function table(head: string[], rows: string[][], width: number): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // The first column is left-aligned (names), the others right-aligned (numbers).
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').slice(0, width);
  return [line(head), ...rows.map(line)];
}

/** One screen of figures: the hub, topics sorted by rate, peers sorted by rate. */
export function renderTop(s: StatsMessage, url: string, width = 120, maxRows = 20): string {
  const h = s.hub;
  const out = [
    `unibus top  ${url}  hub ${h.name} pid ${h.pid}  up ${Math.round(h.uptime)}s  rss ${bytes(h.rss)}  fds ${h.fds ?? '?'}  peers ${h.peers}`,
    `routed ${si(h.routed)}  slow consumers ${h.slowConsumers}  protocol errors ${h.protocolErrors}  ${new Date(s.at).toISOString()}`,
    '',
  ];
  const topics = [...s.topics].sort((a, b) => b.msgsPerSec - a.msgsPerSec || (a.topic < b.topic ? -1 : 1));
  out.push(...table(['TOPIC', 'MSG/S', 'BYTES/S', 'SUBS'],
    topics.slice(0, maxRows).map((t) => [t.topic, si(t.msgsPerSec), bytes(Math.round(t.bytesPerSec)), String(t.subscribers)]), width));
  if (topics.length > maxRows || s.topicsOmitted > 0) out.push(`  ... ${topics.length - Math.min(maxRows, topics.length) + s.topicsOmitted} more`);
  out.push('');
  const peers = [...s.peers].sort((a, b) => (b.msgsInPerSec + b.msgsOutPerSec) - (a.msgsInPerSec + a.msgsOutPerSec));
  out.push(...table(['PEER', 'PID', 'TRANSPORT', 'IN/S', 'OUT/S', 'FILL', 'DROPS', 'STATE'],
    peers.slice(0, maxRows).map((p) => [p.name, String(p.pid ?? '?'), p.transport, si(p.msgsInPerSec), si(p.msgsOutPerSec),
      p.fill === null ? '-' : `${Math.round(p.fill * 100)}%`, String(p.drops), p.full ? 'FULL' : 'ok']), width));
  const morePeers = peers.length - Math.min(maxRows, peers.length) + (s.peersOmitted ?? 0);
  if (morePeers > 0) out.push(`  ... ${morePeers} more`);
  for (const e of s.events.slice(-5)) {
    out.push(`${new Date(e.at).toISOString().slice(11, 19)} ${e.type} ${e.peer?.name ?? ''}${e.reason ? ` (${e.reason})` : ''}`);
  }
  return `${out.join('\n')}\n`;
}
