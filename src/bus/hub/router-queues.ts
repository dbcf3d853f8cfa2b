/**
 * Queue-group routing: of the members of each queue group that match a message, exactly one gets
 * it, round robin per group name; a peer chosen for several groups gets one QPUB listing its sids.
 *
 * Departures: a message is a member's once the router has written it to that member's connection
 * or outbox (`write` accepted it). A member that unsubscribes, leaves or dies is taken out of the
 * group when the router processes its UNSUB or sees its connection end; a write that fails
 * because the member's connection is already gone goes to the next member, so no message that
 * was not handed to a member is lost. Apart from the router so that the plain fan-out there stays
 * short; the router calls `route` only for messages that match a queue subscription.
 * @module
 */
import { encodeQpubHeader, type Pub } from '../protocol/messages.js';
import type { PolicyGate } from '../policy/gate.js';
import type { RouterPeer, SubEntry } from './router-peer.js';
import { frameSize } from './frame-size.js';

/** The router's write: hands a frame to a peer (connection or outbox); false when not handed. */
export type PeerWrite = (peer: RouterPeer, frame: Uint8Array | Uint8Array[]) => boolean;

export class QueueRouter {
  /** Next turn per queue-group name (round robin). */
  readonly #turns = new Map<string, number>();
  readonly #write: PeerWrite;
  readonly #gate: PolicyGate | undefined;

  constructor(write: PeerWrite, gate: PolicyGate | undefined) {
    this.#write = write;
    this.#gate = gate;
  }

  /**
   * One member per queue group, round robin; one QPUB per chosen peer with its sids. A member
   * whose connection refuses the write (already gone) is skipped for the next one, so the
   * message is handed to some live member when there is one.
   */
  route(groups: Map<string, SubEntry[]>, frame: Uint8Array | Uint8Array[], pub: Pub, from?: RouterPeer): void {
    // A frame in chunks (the hub's own publish) stays in chunks behind the QPUB header.
    const size = frameSize(frame);
    const chunks = frame instanceof Uint8Array ? [frame] : frame;
    let chosen = new Map<RouterPeer, number[]>();
    let retry: Map<string, SubEntry[]> | undefined;
    for (;;) {
      for (const [queue, members] of groups) {
        const turn = this.#turns.get(queue) ?? 0;
        this.#turns.set(queue, turn + 1);
        const e = members[turn % members.length]!;
        const sids = chosen.get(e.peer);
        if (sids) sids.push(e.sid);
        else chosen.set(e.peer, [e.sid]);
      }
      for (const [peer, sids] of chosen) {
        if (pub.replyTo !== undefined && this.#gate) this.#gate.grantReply(from, peer, pub.replyTo);
        if (peer.local) peer.local.deliverQueued(pub, sids);
        else if (!this.#write(peer, [encodeQpubHeader(sids, size), ...chunks])) {
          // Not handed: choose again in each group this member was chosen for, without it.
          for (const [queue, members] of groups) {
            if (!members.some((m) => m.peer === peer && sids.includes(m.sid))) continue;
            const rest = members.filter((m) => m.peer !== peer);
            if (rest.length > 0) (retry ??= new Map()).set(queue, rest);
          }
        }
      }
      if (!retry) return;
      groups = retry;
      retry = undefined;
      chosen = new Map();
    }
  }
}
