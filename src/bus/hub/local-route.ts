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
 *
 * Before any of this, a publish of a value is offered to the router to be routed at once
 * (`sendNow`, ./own-now.ts): when nothing sent before waits on the link and nobody could tell
 * the difference, it is written straight into each subscriber's connection and never crosses
 * the link; while full subscribers hold the router it is written to them too and returns a wait
 * for the router to read again (`untilReading`). A publish that found the link behind goes over
 * it and returns a wait for the router to catch up, so a publisher that awaits lets it do so and
 * the next publish goes at once again.
 * @module
 */
import { ClosedError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import type { Pub } from '../protocol/messages.js';
import type { WireMessage } from '../fabric.js';
import { undeliveredBytes } from '../../transports/memory/memory-transport.js';
import { frameSize } from './frame-size.js';
import type { OwnFrame, OwnRoute } from './own-now.js';
import type { LocalDelivery } from './router-peer.js';

/** Bytes of publishes waiting for the router before a publisher is asked to wait (the link's mark). */
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

/** A publish handed to the router by reference. */
export interface ClaimedPub {
  readonly frame: Uint8Array | Uint8Array[];
  readonly pub: Pub;
  /** Gives the payload's pooled buffer back (./own-pooled.ts); only once nothing reads it any more. */
  readonly release?: () => void;
}

/** Where a hub client's publishes go instead of its connection (see `ClientOptions.direct`). */
export interface DirectRoute {
  /**
   * Sends one PUB: `frame` (one or two chunks) and `pub`, its decoded form. Like `write`: undefined,
   * or wait. `release`: its payload is pooled (./own-pooled.ts), given back by whoever routes it.
   */
  send(frame: Uint8Array | Uint8Array[], pub: Pub, release?: () => void): Promise<void> | undefined;
  /** Routes a PUB at once, written in place (./own-now.ts), or says why it must go by `send` instead (nothing sent). */
  sendNow?(frame: OwnFrame): OwnRoute;
  /** Resolves once the router has read everything sent over the link so far (undefined: it has). */
  caughtUp?(): Promise<void> | undefined;
  /** Resolves once the router reads again, after a `sendNow` that said `waits` (undefined: it reads). */
  untilReading?(): Promise<void> | undefined;
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
  /** The router's end of the link: what waits there was sent before and is not yet routed. */
  readonly #routerEnd: Connection;
  /** The router's `routeOwn` (set once attached): routes a publish now, when it can. */
  routeNow: ((frame: OwnFrame) => OwnRoute) | undefined;
  /** The router's `untilReading` (set once attached). */
  whenReading: (() => Promise<void> | undefined) | undefined;
  /** Resolved once the router has read all of the link (`caughtUp`). */
  #caughtUp: { promise: Promise<void>; resolve: () => void } | undefined;
  /** Deliveries to the hub's bus under way: a publish from inside one is routed after it, by the link. */
  #delivering = 0;
  #queue: Waiting[] = [];
  #head = 0;
  #bytes = 0;
  #waiters: Waiter[] = [];

  constructor(link: Connection, routerEnd: Connection) {
    this.#link = link;
    this.#routerEnd = routerEnd;
    void link.closed.then(() => {
      this.#rejectAll(new ClosedError('hub bus'));
      this.#caughtUp?.resolve();
      this.#caughtUp = undefined;
    });
  }

  send(frame: Uint8Array | Uint8Array[], pub: Pub, release?: () => void): Promise<void> | undefined {
    const marker = frame instanceof Uint8Array ? frame : frame[0]!;
    const size = frameSize(frame);
    this.#queue.push(release === undefined ? { marker, frame, pub, size } : { marker, frame, pub, size, release });
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

  sendNow(frame: OwnFrame): OwnRoute {
    // Nothing routed meanwhile (a handler's publish comes after what it handles, everywhere).
    if (this.#delivering !== 0 || this.routeNow === undefined) return 'link';
    // Nothing sent before may be overtaken.
    if (this.#head !== this.#queue.length || undeliveredBytes(this.#routerEnd) !== 0) return 'behind';
    // A closed link refuses the publish (`send` throws): so does this, by not taking it.
    if ((this.#link as Partial<{ isOpen: boolean }>).isOpen === false) return 'link';
    return this.routeNow(frame);
  }

  untilReading(): Promise<void> | undefined {
    return this.whenReading?.();
  }

  caughtUp(): Promise<void> | undefined {
    if (undeliveredBytes(this.#routerEnd) === 0) return undefined;
    if (this.#caughtUp === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      this.#caughtUp = { promise, resolve };
    }
    return this.#caughtUp.promise;
  }

  /** The router read `frame` from the link: the publish it stands for, or undefined (a control frame). */
  claim(frame: Uint8Array): ClaimedPub | undefined {
    if (this.#caughtUp !== undefined && undeliveredBytes(this.#routerEnd) === 0) {
      // The router is reading the link's last frame (routed before the promise's reactions run).
      this.#caughtUp.resolve();
      this.#caughtUp = undefined;
    }
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
    this.#delivering++;
    try {
      this.receiver?.deliver(pub);
    } finally {
      this.#delivering--;
    }
  }

  deliverQueued(pub: Pub, sids: readonly number[]): void {
    this.#delivering++;
    try {
      this.receiver?.deliverQueued(pub, sids);
    } finally {
      this.#delivering--;
    }
  }

  #rejectAll(err: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
  }
}
