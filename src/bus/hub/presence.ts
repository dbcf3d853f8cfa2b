/**
 * Presence in the hub: who is connected, told to clients at a cost linear in the joins.
 *
 * Sending the whole list to every client on every join is quadratic: 500 clients saying HELLO
 * made a hub write 1.18 GB of PEERS in 5 s. Instead:
 * - a client that joins gets the whole list once (PEERS, right after the hub's HELLO);
 * - everyone else gets what changed (PEERS_DELTA `[12, joined, leftIds]`), coalesced: at most one
 *   delta per client per {@link PRESENCE_INTERVAL_MS};
 * - the list on `$sys.peers` is published at most once per interval, and only encoded when
 *   someone subscribes to it.
 * Deltas are idempotent (a joined id already known and a left id unknown are ignored), so a
 * client whose snapshot already holds a change it then receives as a delta sees it once.
 * @module
 */
import type { PeerDescription } from '../fabric.js';
import { encodePeers, encodePeersDelta, type PeerEntry } from '../protocol/messages.js';

/** Changes are gathered for this long before one delta goes to every client. */
export const PRESENCE_INTERVAL_MS = 50;

/** What presence needs from the router. */
export interface PresenceHost {
  /** The current list (peers that said HELLO). */
  list(): PeerDescription[];
  /** Writes a control frame to every remote client that said HELLO. */
  broadcast(frame: Uint8Array): void;
  /** True when someone subscribes to `$sys.peers`. */
  wantsList(): boolean;
  /** Publishes the list on `$sys.peers`. */
  publishList(list: PeerDescription[]): void;
}

export function peerEntry(p: PeerDescription): PeerEntry {
  return [p.id, p.name, p.pid ?? 0, p.transport, p.claimedPid ?? 0, p.uid ?? null];
}

export class Presence {
  readonly #host: PresenceHost;
  readonly #joined = new Map<string, PeerEntry>();
  readonly #left: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(host: PresenceHost) {
    this.#host = host;
  }

  /** The whole list as a PEERS frame, for a client that just joined. */
  snapshot(): Uint8Array {
    return encodePeers(this.#host.list().map(peerEntry));
  }

  joined(peer: PeerDescription): void {
    this.#joined.set(peer.id, peerEntry(peer));
    this.#schedule();
  }

  left(peer: PeerDescription): void {
    // Joined and left within one interval: others never heard of it. A client whose snapshot
    // listed it still needs the leave, so the id stays in `left`.
    this.#joined.delete(peer.id);
    this.#left.push(peer.id);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => this.#flush(), PRESENCE_INTERVAL_MS);
    this.#timer.unref();
  }

  #flush(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    if (this.#joined.size > 0 || this.#left.length > 0) {
      this.#host.broadcast(encodePeersDelta([...this.#joined.values()], this.#left));
    }
    this.#joined.clear();
    this.#left.length = 0;
    if (this.#host.wantsList()) this.#host.publishList(this.#host.list());
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
