/**
 * The hub's figures on the bus: while anyone subscribes to `$sys.stats`, the router counts what
 * it routes (per topic, per peer) and publishes one summary per interval (docs/protocol.md,
 * "Stats"). While nobody subscribes, no timer runs and the router's hot path pays one boolean
 * test per frame (`collector.on`), nothing else.
 *
 * Counting is exact, not sampled: one Map lookup per routed frame keyed by the topic string the
 * router already holds, one per delivery for the receiving peer. Sampling would save little
 * (the lookup is the whole cost) and would make low rates lie.
 * @module
 */
import { readdir } from 'node:fs/promises';
import type { FabricStatus, PeerDescription } from '../fabric.js';
import type { RouterPeer } from './router-peer.js';
import { reportsFill } from '../../transports/capabilities.js';

/** Topic on which a hub publishes its figures, once per interval while someone subscribes. */
export const SYS_STATS = '$sys.stats';

/** Topics listed per message (busiest first); the rest are counted in `topicsOmitted`. */
const MAX_TOPICS_LISTED = 200;
/**
 * Peers listed per message: full ones first (a slow consumer in the making is what a reader looks
 * for), then the busiest; the rest are counted in `peersOmitted`. Without a cap, a hub with
 * thousands of clients built and sent a message of megabytes every second.
 */
const MAX_PEERS_LISTED = 200;
/** Distinct topics counted per interval; beyond it, new topics go to `otherTopics` (unique reply subjects). */
const MAX_TOPICS_COUNTED = 10_000;
/** Recent events kept for a monitor that starts late. */
const EVENTS_KEPT = 30;

/** One `$sys.stats` message (msgpack map). Rates are per second over the last interval. */
export interface StatsMessage {
  hub: {
    name: string; pid: number; transport: string; uptime: number; rss: number; heapUsed: number;
    fds: number | null; peers: number; routed: number; protocolErrors: number; slowConsumers: number;
  };
  at: number;
  interval: number;
  topics: TopicStats[];
  topicsOmitted: number;
  otherTopics: { msgs: number; bytes: number };
  peers: PeerStats[];
  peersOmitted: number;
  events: StatsEvent[];
}

export interface TopicStats { topic: string; msgs: number; bytes: number; msgsPerSec: number; bytesPerSec: number; subscribers: number }

export interface PeerStats extends PeerDescription {
  msgsInPerSec: number; bytesInPerSec: number; msgsOutPerSec: number; bytesOutPerSec: number;
  msgsIn: number; msgsOut: number; drops: number; full: boolean; fill: number | null;
}

export interface StatsEvent { seq: number; at: number; type: string; peer?: PeerDescription; reason?: string; detail?: string }

/** What the collector reads from the router (kept narrow: the router's state stays its own). */
export interface RouterView {
  name: string;
  transport: string;
  counters: { routed: number; protocolErrors: number; slowConsumers: number };
  peers(): Iterable<RouterPeer>;
  describe(peer: RouterPeer): PeerDescription;
  isFull(peer: RouterPeer): boolean;
  subscribers(topic: string): number;
  publish(topic: string, value: unknown): void;
}

interface Count { msgs: number; bytes: number }
interface PeerCount { msgsIn: number; bytesIn: number; msgsOut: number; bytesOut: number; totalIn: number; totalOut: number; drops: number }

export class StatsCollector {
  /** True while someone subscribes to `$sys.stats`: the router counts only then. */
  on = false;
  readonly #view: RouterView;
  readonly #intervalMs: number;
  readonly #started = Date.now();
  #topics = new Map<string, Count>();
  readonly #other: Count = { msgs: 0, bytes: 0 };
  readonly #peers = new Map<RouterPeer, PeerCount>();
  readonly #events: StatsEvent[] = [];
  #eventSeq = 0;
  #sentSeq = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  #ticking = false;
  #stopped = false;

  constructor(view: RouterView, intervalMs = 1000) {
    this.#view = view;
    this.#intervalMs = intervalMs;
  }

  /** Re-reads whether anyone subscribes to `$sys.stats` (after SUB, UNSUB, a departure). */
  recheck(): void {
    // After stop() (the hub is closing) departures must not start a new timer.
    const wanted = !this.#stopped && this.#view.subscribers(SYS_STATS) > 0;
    if (wanted === this.on) return;
    this.on = wanted;
    if (wanted) {
      this.#lastTick = Date.now();
      this.#sentSeq = 0; // the first message carries the recent events again, for a monitor that just started
      this.#timer = setInterval(() => void this.#tick(), this.#intervalMs);
      this.#timer.unref();
    } else {
      clearInterval(this.#timer);
      this.#timer = undefined;
      this.#topics = new Map();
      this.#peers.clear();
    }
  }

  /** One routed PUB (only called while `on`). */
  routed(from: RouterPeer | undefined, topic: string, bytes: number): void {
    let c = this.#topics.get(topic);
    if (c === undefined) {
      if (this.#topics.size >= MAX_TOPICS_COUNTED) c = this.#other;
      else this.#topics.set(topic, c = { msgs: 0, bytes: 0 });
    }
    c.msgs++;
    c.bytes += bytes;
    if (from) {
      const p = this.#peer(from);
      p.msgsIn++;
      p.totalIn++;
      p.bytesIn += bytes;
    }
  }

  /** One frame handed to `peer`'s connection (only called while `on`). */
  wrote(peer: RouterPeer, frame: Uint8Array | readonly Uint8Array[]): void {
    const p = this.#peer(peer);
    p.msgsOut++;
    p.totalOut++;
    p.bytesOut += frame instanceof Uint8Array ? frame.length : frame.reduce((n, c) => n + c.length, 0);
  }

  /** A delivery `peer`'s connection refused (too large for it, or closing). */
  dropped(peer: RouterPeer): void {
    if (this.on) this.#peer(peer).drops++;
  }

  /** Keeps joins, leaves, slow consumers and errors for the next message (and for late monitors). */
  event(status: FabricStatus): void {
    const e: StatsEvent = { seq: ++this.#eventSeq, at: Date.now(), type: status.type };
    if ('peer' in status && status.peer) e.peer = status.peer;
    if (status.type === 'peer-left') e.reason = status.reason;
    if (status.type === 'slow-consumer') e.detail = status.detail;
    if ('error' in status && status.error) e.detail = status.error.message;
    this.#events.push(e);
    if (this.#events.length > EVENTS_KEPT) this.#events.shift();
  }

  /** A peer left: its counters go (its last figures were in earlier messages). */
  left(peer: RouterPeer): void {
    this.#peers.delete(peer);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.on = false;
  }

  #peer(peer: RouterPeer): PeerCount {
    let p = this.#peers.get(peer);
    if (p === undefined) {
      p = { msgsIn: 0, bytesIn: 0, msgsOut: 0, bytesOut: 0, totalIn: 0, totalOut: 0, drops: 0 };
      this.#peers.set(peer, p);
    }
    return p;
  }

  async #tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const fds = await countFds();
      if (!this.on) return;
      this.#view.publish(SYS_STATS, this.snapshot(fds));
    } finally {
      this.#ticking = false;
    }
  }

  /** Builds one message from the counts since the last one, and starts the next interval. */
  snapshot(fds: number | null): StatsMessage {
    const now = Date.now();
    const secs = Math.max(0.001, (now - this.#lastTick) / 1000);
    this.#lastTick = now;
    const v = this.#view;
    const all = [...this.#topics];
    all.sort((a, b) => b[1].msgs - a[1].msgs || (a[0] < b[0] ? -1 : 1));
    // Subscribers only for the listed topics: each lookup may fill the router's match cache.
    const topics = all.slice(0, MAX_TOPICS_LISTED).map(([topic, c]): TopicStats => ({
      topic, msgs: c.msgs, bytes: c.bytes, msgsPerSec: round(c.msgs / secs), bytesPerSec: round(c.bytes / secs),
      subscribers: v.subscribers(topic),
    }));
    this.#topics = new Map();
    const other = { ...this.#other };
    this.#other.msgs = 0;
    this.#other.bytes = 0;
    const live: Array<{ peer: RouterPeer; p: PeerCount; busy: number; full: boolean }> = [];
    for (const peer of v.peers()) {
      if (!peer.hello) continue;
      const p = this.#peer(peer);
      live.push({ peer, p, busy: p.msgsIn + p.msgsOut, full: v.isFull(peer) });
    }
    live.sort((a, b) => Number(b.full) - Number(a.full) || b.busy - a.busy);
    const peers = live.slice(0, MAX_PEERS_LISTED).map(({ peer, p, full }): PeerStats => {
      const fill = reportsFill(peer.conn) ? peer.conn.fill() : undefined;
      return {
        ...v.describe(peer),
        msgsInPerSec: round(p.msgsIn / secs), bytesInPerSec: round(p.bytesIn / secs),
        msgsOutPerSec: round(p.msgsOut / secs), bytesOutPerSec: round(p.bytesOut / secs),
        msgsIn: p.totalIn, msgsOut: p.totalOut, drops: p.drops, full,
        fill: fill === undefined ? null : round(fill),
      };
    });
    for (const { p } of live) p.msgsIn = p.bytesIn = p.msgsOut = p.bytesOut = 0;
    const events = this.#events.filter((e) => e.seq > this.#sentSeq);
    this.#sentSeq = this.#eventSeq;
    const mem = memory();
    return {
      hub: {
        name: v.name, pid: process.pid, transport: v.transport, uptime: round((now - this.#started) / 1000),
        rss: mem.rss, heapUsed: mem.heapUsed, fds, peers: live.length, ...v.counters,
      },
      at: now, interval: this.#intervalMs, topics, topicsOmitted: all.length - topics.length, otherTopics: other,
      peers, peersOmitted: live.length - peers.length, events,
    };
  }
}

let lastMemory = { rss: 0, heapUsed: 0 };

/**
 * RSS and heap, or the last ones read: `process.memoryUsage()` reads /proc and throws EMFILE in a
 * process out of descriptors, and a hub must go on serving then (its `fds` count says why).
 */
function memory(): { rss: number; heapUsed: number } {
  try {
    const { rss, heapUsed } = process.memoryUsage();
    lastMemory = { rss, heapUsed };
  } catch {
    // keep the last reading
  }
  return lastMemory;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** Open descriptors of this process (Linux /proc), or null where it cannot be read. */
async function countFds(): Promise<number | null> {
  try {
    return (await readdir('/proc/self/fd')).length;
  } catch {
    return null;
  }
}
