/**
 * Reconnecting to a hub: options, the backoff schedule, and the bounded hold of publishes made
 * while disconnected.
 *
 * Guarantees (HubFabric clients of every transport whose clients connect by URL; not `pipe:`,
 * whose hub is the parent process):
 * - Subscriptions survive: after a reconnect every subscription is sent again before anything
 *   held is replayed, so a bus sees its own held messages.
 * - Publishes during the gap are held, in order, up to `bufferBytes`; past that, `publish()`
 *   waits up to `maxWait` for the reconnect, then rejects with `DisconnectedError` (the message
 *   is not accepted). `maxWait: 0` with `bufferBytes: 0` fails every gap publish at once.
 * - On a durable transport (`file://`) "accepted" means "in the spool", so nothing is accepted
 *   into memory: every gap publish waits (up to `maxWait`) until it is replayed and appended.
 * - Messages already written to the old connection when the hub died may be lost (at most
 *   once, as NATS core): only a durable transport keeps them (`file://` hands back those the
 *   old hub never read, `Closed.unsent`; they are re-sent after the subscriptions, before the
 *   held ones).
 * - After `giveUpAfter` ms without a hub, the bus stops trying: held messages are dropped,
 *   waiting publishers fail with `DisconnectedError` and subscriptions end with `PeerGoneError`.
 * @module
 */
import { DisconnectedError } from '../../errors.js';
import { backoffDelay } from '../../sync/backoff.js';
import type { WireMessage } from '../fabric.js';

/** Options of reconnection (`Bus.connect(url, { reconnect: { … } })`); `false` turns it off. */
export interface ReconnectOptions {
  /** Bytes of publishes held while disconnected before `publish()` waits (default 8 MiB). */
  bufferBytes?: number;
  /** ms a `publish()` may wait for room while disconnected before `DisconnectedError` (default 10 000). */
  maxWait?: number;
  /** First delay between attempts, in ms; it doubles up to `maxDelay` (default 50). */
  initialDelay?: number;
  /** Longest delay between attempts, in ms (default 2000). */
  maxDelay?: number;
  /** ms without a hub before giving up for good (default Infinity: never). */
  giveUpAfter?: number;
}

export type ResolvedReconnect = Required<ReconnectOptions>;

const MiB = 1024 * 1024;
/** Rough per-message envelope bytes, counted into `bufferBytes`. */
const OVERHEAD = 64;

/** Fills in defaults and rejects nonsense with `RangeError`. */
export function resolveReconnect(options: ReconnectOptions | undefined): ResolvedReconnect {
  const o = options ?? {};
  const r: ResolvedReconnect = {
    bufferBytes: o.bufferBytes ?? 8 * MiB,
    maxWait: o.maxWait ?? 10_000,
    initialDelay: o.initialDelay ?? 50,
    maxDelay: o.maxDelay ?? 2000,
    giveUpAfter: o.giveUpAfter ?? Infinity,
  };
  for (const [k, v] of Object.entries(r)) {
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new RangeError(`reconnect.${k} must be a number >= 0: got ${String(v)}`);
  }
  return r;
}

/** Delay before attempt `n` (0-based): doubling from `initialDelay`, capped, up to 40% less at random. */
export function backoff(n: number, r: ResolvedReconnect): number {
  return Math.round(backoffDelay(n, { initial: r.initialDelay, max: r.maxDelay, jitter: 0.4 }));
}

interface Waiter {
  readonly message: WireMessage;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** Publishes made while disconnected: held up to a byte budget, then publishers wait (bounded). */
export class PublishHold {
  readonly #options: ResolvedReconnect;
  #held: WireMessage[] = [];
  #bytes = 0;
  #waiters: Waiter[] = [];
  /** Held messages dropped because reconnection was given up or the bus closed. */
  dropped = 0;

  readonly #durable: boolean;

  /** `durable`: a publish resolves only once replayed and in the medium (see the module doc). */
  constructor(options: ResolvedReconnect, durable = false) {
    this.#options = options;
    this.#durable = durable;
  }

  get size(): number {
    return this.#held.length + this.#waiters.length;
  }

  /** Accepts `m` into the hold (undefined), or returns the wait for room. */
  hold(m: WireMessage): Promise<void> | undefined {
    const size = m.payload.length + m.topic.length + OVERHEAD;
    if (!this.#durable && this.#waiters.length === 0 && this.#bytes + size <= this.#options.bufferBytes) {
      this.#held.push(m);
      this.#bytes += size;
      return undefined;
    }
    const maxWait = this.#options.maxWait;
    if (maxWait === 0) return Promise.reject(new DisconnectedError(`no hub; message to ${m.topic} not sent`));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        message: m, resolve, reject,
        timer: setTimeout(() => {
          const i = this.#waiters.indexOf(waiter);
          if (i !== -1) this.#waiters.splice(i, 1);
          reject(new DisconnectedError(`no hub for maxWait=${maxWait}ms; message to ${m.topic} not sent`));
        }, maxWait),
      };
      this.#waiters.push(waiter);
    });
  }

  /**
   * Replays in order through `send`, held messages first, then the waiting publishers' (whose
   * promises then settle as the wait `send` returns does: a durable medium's append). Stops at
   * the first `send` that throws: the rest stays held.
   */
  replay(send: (m: WireMessage) => Promise<void> | undefined): void {
    let i = 0;
    try {
      for (; i < this.#held.length; i++) {
        const m = this.#held[i]!;
        // Already accepted (resolved when held): a later failure is the connection's to report.
        send(m)?.catch(() => undefined);
        this.#bytes -= m.payload.length + m.topic.length + OVERHEAD;
      }
    } finally {
      this.#held = i === this.#held.length ? [] : this.#held.slice(i);
    }
    while (this.#waiters.length > 0) {
      const w = this.#waiters[0]!;
      const sent = send(w.message);
      this.#waiters.shift();
      clearTimeout(w.timer);
      if (sent) sent.then(w.resolve, (err: Error) => w.reject(new DisconnectedError(`message to ${w.message.topic} not confirmed: ${err.message}`)));
      else w.resolve();
    }
  }

  /** Drops everything held and fails every waiting publisher with `err`. */
  fail(err: Error): void {
    this.dropped += this.#held.length;
    this.#held = [];
    this.#bytes = 0;
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}
