/**
 * The router's subscriptions: SUB and UNSUB from peers, checked (grammar, queue name, the
 * per-connection `maxSubscriptions`, the policy) and kept in one subject index that the router
 * matches every PUB against. Apart from the router so that it holds the routing only; the router
 * reads `index` directly on its hot path.
 * @module
 */
import { LimitError, ProtocolError } from '../../errors.js';
import { checkPattern } from '../subjects/grammar.js';
import { SubjectIndex } from '../subjects/subject-index.js';
import { MAX_QUEUE_NAME_LENGTH } from './limits.js';
import type { RouterPeer, SubEntry } from './router-peer.js';

export interface SubscriptionHooks {
  /** A SUB refused for a limit: tell the peer (its connection stays open). */
  refuse(peer: RouterPeer, sid: number, err: LimitError): void;
  /** Policy: false when `peer` may not hold `entry` (the policy already told it why). */
  allowed(peer: RouterPeer, entry: SubEntry): boolean;
  /** Subscriptions changed (`$sys.` topics may have gained or lost their subscribers). */
  changed(): void;
}

export class RouterSubscriptions {
  /** Every live subscription by pattern; what each PUB is matched against. */
  readonly index = new SubjectIndex<SubEntry>();
  readonly #maxSubscriptions: number;
  readonly #hooks: SubscriptionHooks;

  constructor(maxSubscriptions: number, hooks: SubscriptionHooks) {
    this.#maxSubscriptions = maxSubscriptions;
    this.#hooks = hooks;
  }

  /** A SUB frame `[op, sid, pattern, queue?]`: adds (or replaces) that subscription of `peer`. */
  sub(peer: RouterPeer, msg: unknown[]): void {
    const [, sid, pattern, queue] = msg;
    if (typeof sid !== 'number' || typeof pattern !== 'string' || (queue != null && typeof queue !== 'string')) {
      throw new ProtocolError('malformed SUB');
    }
    checkPattern(pattern);
    if (typeof queue === 'string' && (queue.length === 0 || queue.length > MAX_QUEUE_NAME_LENGTH)) {
      throw new ProtocolError(`queue name must be 1-${MAX_QUEUE_NAME_LENGTH} characters (got ${queue.length})`);
    }
    const entry: SubEntry = { peer, sid, pattern, queue: (queue as string | null) ?? undefined };
    const old = peer.subs.get(sid);
    if (!old && peer.subs.size >= this.#maxSubscriptions) {
      this.#hooks.refuse(peer, sid, new LimitError('maxSubscriptions', `this connection holds ${peer.subs.size} subscriptions (limit ${this.#maxSubscriptions}); SUB sid=${sid} pattern=${pattern} refused`));
      return;
    }
    if (old) this.index.remove(old.pattern, old);
    if (!this.#hooks.allowed(peer, entry)) {
      peer.subs.delete(sid);
      return;
    }
    peer.subs.set(sid, entry);
    this.index.add(pattern, entry);
    this.#hooks.changed();
  }

  /** An UNSUB frame `[op, sid]`: ends that subscription of `peer` (an unknown sid is ignored). */
  unsub(peer: RouterPeer, msg: unknown[]): void {
    if (typeof msg[1] !== 'number') throw new ProtocolError('malformed UNSUB');
    const entry = peer.subs.get(msg[1]);
    if (entry) {
      peer.subs.delete(entry.sid);
      this.index.remove(entry.pattern, entry);
      this.#hooks.changed();
    }
  }

  /** Ends every subscription of `peer` (it leaves or is dropped). */
  dropAll(peer: RouterPeer): void {
    for (const e of peer.subs.values()) this.index.remove(e.pattern, e);
    peer.subs.clear();
  }
}
