/**
 * The hub's own publishes, routed without being copied or decoded again.
 *
 * Why: the hub's bus is a client of its router over an in-process link (./hub-fabric.ts), and
 * every publish of the hub used to cross it as a frame: copied into one buffer (a PUB with a
 * payload over 1 KiB is two chunks), then decoded again by the router. At 1-4 KiB that made
 * a hub's publish cost ~3x the CPU of a remote client's. Now the link carries a *marker* for
 * each publish (the frame's first chunk, passed by reference, never copied) while the frame
 * and its decoded form wait here; when the router takes the marker from the link it `claim`s
 * them and routes them as they are: the frame (its chunks, never joined) to other peers, the
 * decoded form to the hub's own subscriptions. Payloads of at most 256 bytes once encoded still
 * cross as ordinary frames (./own-payload.ts `SMALL_OWN_PAYLOAD`): decoding a small envelope
 * costs less than the records kept here.
 *
 * The link still carries everything in order, publishes and control frames (SUB, UNSUB, PING)
 * alike, and the router still reads it under its own flow control: ordering, the flush barrier
 * and backpressure are the link's, exactly as before. Only the bytes of what waits here are
 * counted apart: past HIGH_WATER_BYTES a publish asks its publisher to wait, as the link does
 * past its own mark.
 * @module
 */
import { ClosedError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import type { Pub } from '../protocol/messages.js';
import type { WireMessage } from '../fabric.js';
import { frameSize } from './frame-size.js';
import type { LocalDelivery } from './router-peer.js';

/** Bytes of publishes waiting for the router before a publisher is asked to wait (the link's mark). */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

/** A publish handed to the router by reference. */
export interface ClaimedPub {
  readonly frame: Uint8Array | Uint8Array[];
  readonly pub: Pub;
}

/** Where a hub client's publishes go instead of its connection (see `ClientOptions.direct`). */
export interface DirectRoute {
  /** Sends one PUB: `frame` (one or two chunks) and `pub`, its decoded form. Like `write`: undefined, or wait. */
  send(frame: Uint8Array | Uint8Array[], pub: Pub): Promise<void> | undefined;
}

/** The hub's bus as receiver: the hub client's dispatch. */
export interface LocalReceiver {
  deliver(pub: WireMessage): void;
  deliverQueued(pub: WireMessage, sids: readonly number[]): void;
}

interface Waiting extends ClaimedPub {
  readonly marker: Uint8Array;
  readonly size: number;
}

type Waiter = { resolve: () => void; reject: (err: Error) => void };

/** Both directions between the router and the hub's own bus (`DirectRoute`, `LocalDelivery`). */
export class LocalPath implements DirectRoute, LocalDelivery {
  /** Set once the hub's client is open. */
  receiver: LocalReceiver | undefined;
  /** The hub bus's end of the link. */
  readonly #link: Connection;
  #queue: Waiting[] = [];
  #head = 0;
  #bytes = 0;
  #waiters: Waiter[] = [];

  constructor(link: Connection) {
    this.#link = link;
    void link.closed.then(() => this.#rejectAll(new ClosedError('hub bus')));
  }

  send(frame: Uint8Array | Uint8Array[], pub: Pub): Promise<void> | undefined {
    const marker = frame instanceof Uint8Array ? frame : frame[0]!;
    const size = frameSize(frame);
    this.#queue.push({ marker, frame, pub, size });
    this.#bytes += size;
    let room: boolean;
    try {
      room = this.#link.write(marker);
    } catch (err) {
      // Closed: not sent, not waiting.
      this.#queue.pop();
      this.#bytes -= size;
      throw err;
    }
    if (!room) return this.#link.drained();
    if (this.#bytes > HIGH_WATER_BYTES) return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
    return undefined;
  }

  /** The router read `frame` from the link: the publish it stands for, or undefined (a control frame). */
  claim(frame: Uint8Array): ClaimedPub | undefined {
    const next = this.#queue[this.#head];
    if (next === undefined || next.marker !== frame) return undefined;
    this.#queue[this.#head++] = undefined as never;
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#bytes -= next.size;
    if (this.#waiters.length > 0 && this.#bytes <= HIGH_WATER_BYTES / 2) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w.resolve();
    }
    return next;
  }

  deliver(pub: Pub): void {
    this.receiver?.deliver(pub);
  }

  deliverQueued(pub: Pub, sids: readonly number[]): void {
    this.receiver?.deliverQueued(pub, sids);
  }

  #rejectAll(err: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
  }
}
