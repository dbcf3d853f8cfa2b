/**
 * The client's view of who is connected to its hub, kept from PEERS (the whole list, sent when
 * it joins) and PEERS_DELTA (coalesced changes), with a `peer-joined` / `peer-left` event per
 * difference. Apart from the client (./client.ts): presence is its own concern; the hub side is
 * ./presence.ts.
 * @module
 */
import type { FabricStatus, PeerDescription } from '../fabric.js';
import type { PeerEntry } from '../protocol/messages.js';

export class PeerList {
  #peers: PeerDescription[] = [];
  readonly #emit: (event: FabricStatus) => void;

  constructor(emit: (event: FabricStatus) => void) {
    this.#emit = emit;
  }

  /** Who is connected, as the hub last said. */
  get list(): PeerDescription[] {
    return this.#peers;
  }

  /** PEERS: the hub's new list, and a peer-joined / peer-left event per difference. */
  replace(entries: readonly PeerEntry[]): void {
    const next = entries.map(toPeer);
    const key = (p: PeerDescription): string => `${p.id}|${p.name}|${p.pid ?? ''}`;
    const before = new Map(this.#peers.map((p) => [key(p), p]));
    const after = new Set(next.map(key));
    this.#peers = next;
    for (const [k, p] of before) if (!after.has(k)) this.#emit({ type: 'peer-left', peer: p, reason: 'left' });
    for (const p of next) if (!before.has(key(p))) this.#emit({ type: 'peer-joined', peer: p });
  }

  /**
   * PEERS_DELTA, applied idempotently: a joined id already known or a left id unknown is ignored
   * (the snapshot a client got when it joined may already hold them).
   */
  applyDelta(joinedEntries: readonly PeerEntry[], left: readonly string[]): void {
    const joined = joinedEntries.map(toPeer);
    const known = new Set(this.#peers.map((p) => p.id));
    const added = joined.filter((p) => !known.has(p.id));
    const gone = new Set(left);
    const leaving = [...this.#peers, ...added].filter((p) => gone.has(p.id));
    if (added.length === 0 && leaving.length === 0) return;
    this.#peers = [...this.#peers, ...added].filter((p) => !gone.has(p.id));
    for (const p of leaving) if (known.has(p.id)) this.#emit({ type: 'peer-left', peer: p, reason: 'left' });
    for (const p of added) if (!gone.has(p.id)) this.#emit({ type: 'peer-joined', peer: p });
  }
}

/** A PEERS / PEERS_DELTA entry: pid 0 means the transport could not prove it; the HELLO pid is only a claim. */
function toPeer([id, name, pid, transport, claimedPid, uid]: PeerEntry): PeerDescription {
  return {
    id, name, transport, ...(pid ? { pid } : {}), ...(uid != null ? { uid } : {}),
    ...(claimedPid ? { claimedPid } : {}),
  };
}
