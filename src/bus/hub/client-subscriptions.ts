/**
 * A hub client's local subscriptions: the table its incoming PUBs are dispatched through. The
 * hub knows them by sid; a plain (non-queue) subscription is found by topic here, a queue-group
 * one only by the sids a QPUB names (the hub picked the member). Apart from ./client.ts, which
 * speaks the protocol, because this is the client's own state: what a reconnect re-sends.
 * @module
 */
import type { FabricSubscribeOptions, WireHandler, WireMessage } from '../fabric.js';
import { encodeSub } from '../protocol/messages.js';
import { SubjectIndex } from '../subjects/subject-index.js';

/** One subscription as the client keeps it. */
export interface LocalSub {
  readonly id: number;
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly handler: WireHandler;
  readonly onError: ((err: Error) => void) | undefined;
}

export class ClientSubscriptions {
  readonly #plain = new SubjectIndex<LocalSub>();
  readonly #byId = new Map<number, LocalSub>();
  #nextSid = 1;

  /** A new subscription with the next sid. */
  add(pattern: string, handler: WireHandler, options: FabricSubscribeOptions): LocalSub {
    const sub: LocalSub = { id: this.#nextSid++, pattern, queue: options.queue, handler, onError: options.onError };
    if (sub.queue === undefined) this.#plain.add(pattern, sub);
    this.#byId.set(sub.id, sub);
    return sub;
  }

  /** Drops `sub`; false when it was already gone. */
  forget(sub: LocalSub): boolean {
    if (!this.#byId.delete(sub.id)) return false;
    if (sub.queue === undefined) this.#plain.remove(sub.pattern, sub);
    return true;
  }

  get(sid: number): LocalSub | undefined {
    return this.#byId.get(sid);
  }

  /** Every subscription, in the order made. */
  all(): IterableIterator<LocalSub> {
    return this.#byId.values();
  }

  /** Their SUB frames, in the order made (what a reconnect or a durable resume state sends again). */
  subFrames(): Uint8Array[] {
    return [...this.#byId.values()].map((s) => encodeSub(s.id, s.pattern, s.queue));
  }

  /** Dispatches a PUB to every plain subscription whose pattern matches its topic. */
  deliver(pub: WireMessage): void {
    const subs = this.#plain.match(pub.topic);
    for (let i = 0; i < subs.length; i++) subs[i]!.handler(pub);
  }

  /** Dispatches a PUB to the listed queue-group subscriptions only. */
  deliverQueued(pub: WireMessage, sids: readonly number[]): void {
    for (const sid of sids) this.#byId.get(sid)?.handler(pub);
  }
}
