/**
 * The reconnect state machine of a client HubFabric: it notices the loss of the hub, holds
 * publishes during the gap (./reconnect.ts `PublishHold`), dials again with backoff, re-sends
 * what a durable transport handed back, replays what was held, and gives up after
 * `giveUpAfter`. HubFabric (./hub-fabric.ts) only wires it in; the guarantees are listed in
 * ./reconnect.ts.
 *
 * States: connected (no hold) → gap (`#hold` set, redial loop running) → connected again, or
 * given up (for good: publishes fail with `DisconnectedError`, subscriptions end).
 * @module
 */
import { ClosedError, DisconnectedError, PeerGoneError } from '../../errors.js';
import { bounded } from '../bounded.js';
import type { Closed, Transport, TransportOptions } from '../../transports/transport.js';
import { handsBack, unsentOf } from '../../transports/capabilities.js';
import type { FabricStatus, WireMessage } from '../fabric.js';
import type { HubClient } from './client.js';
import { backoff, PublishHold, type ResolvedReconnect } from './reconnect.js';

/** How a client fabric reaches its hub again. */
export interface Redial {
  readonly transport: Transport;
  readonly options: TransportOptions;
  /** Undefined: this client does not reconnect (`pipe:`, or `reconnect: false`). */
  readonly reconnect: ResolvedReconnect | undefined;
}

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

export class Redialer {
  readonly #url: string;
  readonly #client: HubClient;
  readonly #redial: Redial;
  readonly #report: (status: FabricStatus) => void;
  #closed = false;
  /** Defined while disconnected and reconnecting: publishes go here. */
  #hold: PublishHold | undefined;
  #reconnected: Deferred | undefined;
  #wake: (() => void) | undefined;
  #gaveUp = false;
  #reconnects = 0;
  /** PUB frames a durable transport handed back when the connection ended: sent first on the next one. */
  #unsent: Uint8Array[] = [];

  /** `report`: where connection states go (the fabric's status stream). */
  constructor(url: string, client: HubClient, redial: Redial, report: (status: FabricStatus) => void) {
    this.#url = url;
    this.#client = client;
    this.#redial = redial;
    this.#report = report;
  }

  /** Reconnects so far (a resumed session counts too). */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** True during a gap: publishes are held, not sent. */
  get holding(): boolean {
    return this.#hold !== undefined;
  }

  /** Holds `m` during a gap (undefined: accepted), or returns the publisher's bounded wait. */
  hold(m: WireMessage): Promise<void> | undefined {
    return this.#hold!.hold(m);
  }

  /** Accepted before a loss: a publisher waiting for room goes on (reconnecting); later ones are held. */
  accepted(wait: Promise<void> | undefined): Promise<void> | undefined {
    if (wait === undefined || this.#redial.reconnect === undefined) return wait;
    return wait.catch((err: unknown) => {
      if (!isLoss(err) || this.#gaveUp) throw err;
    });
  }

  /**
   * A publish that threw: rethrows unless it failed on the loss of the hub; then a gap begins
   * and the caller holds the message (`hold`).
   */
  checkLoss(err: unknown): void {
    if (this.#redial.reconnect === undefined || !isLoss(err)) throw err;
    if (this.#gaveUp) throw new DisconnectedError(`gave up reconnecting to ${this.#url}`);
    this.#beginGap();
  }

  /**
   * During a gap: the wait for the hub to come back (flush's first step); undefined when
   * connected, so a flush sends its PING in the same turn.
   */
  waitForHub(options: { signal?: AbortSignal; timeout?: number }): Promise<void> | undefined {
    const gap = this.#reconnected;
    // The same default as the client's flush (10 s).
    return gap && bounded(gap.promise, 'flush (waiting for the hub to come back)', { ...options, timeout: options.timeout ?? 10_000 });
  }

  /** The client's connection ended without close(): true when we reconnect. */
  lost(closed: Closed): boolean {
    if (this.#closed) return false;
    if (this.#redial.reconnect === undefined || this.#gaveUp) {
      const error = closed.error ?? (closed.reason === 'clean' ? undefined : new PeerGoneError(`lost the hub at ${this.#url}`));
      this.#report({ type: 'disconnected', url: this.#url, reconnecting: false, ...(error ? { error } : {}) });
      return false;
    }
    this.#unsent.push(...unsentOf(closed));
    this.#beginGap(closed.error);
    return true;
  }

  /**
   * A new hub continued our session (`file://`): the old one died, nothing was lost, nothing is
   * re-sent. Told as a disconnect noticed late and the reconnect, as after any hub restart.
   */
  resumed(): void {
    if (this.#closed || this.#hold) return;
    this.#reconnects++;
    this.#report({ type: 'disconnected', url: this.#url, reconnecting: true });
    this.#report({ type: 'reconnected', url: this.#url });
  }

  /** The fabric closes: what is held is dropped, waiting publishers and flushes fail, the loop stops. */
  close(): void {
    this.#closed = true;
    const err = new ClosedError('bus');
    this.#hold?.fail(err);
    this.#hold = undefined;
    this.#reconnected?.reject(err);
    this.#reconnected = undefined;
    this.#wake?.();
  }

  #beginGap(error?: Error): void {
    if (this.#hold || this.#closed) return;
    this.#hold = new PublishHold(this.#redial.reconnect!, this.#redial.transport.capabilities.durable);
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    promise.catch(() => undefined);
    this.#reconnected = { promise, resolve, reject };
    this.#report({ type: 'disconnected', url: this.#url, reconnecting: true, ...(error ? { error } : {}) });
    void this.#redialLoop();
  }

  async #redialLoop(): Promise<void> {
    const { transport, options, reconnect } = this.#redial;
    const r = reconnect!;
    const started = Date.now();
    for (let n = 0; !this.#closed; n++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff(n, r));
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
      this.#wake = undefined;
      if (this.#closed) return;
      try {
        const conn = await transport.connect(this.#url, { ...options, connectTimeout: Math.min(options.connectTimeout ?? 5000, 2000) });
        await this.#client.reattach(conn);
        // Subscriptions are re-sent; now what was handed back and what was held, in order,
        // before anything new (a failed attempt may repeat some: at least once).
        this.#client.resendPublishes([...this.#unsent, ...(handsBack(conn) ? conn.takenBack : [])]);
        this.#unsent = [];
        this.#hold!.replay((m) => this.#client.publish(m));
      } catch {
        if (this.#closed) return;
        if (Date.now() - started >= r.giveUpAfter) return this.#giveUp(r);
        continue;
      }
      this.#hold = undefined;
      this.#reconnects++;
      this.#reconnected?.resolve();
      this.#reconnected = undefined;
      this.#report({ type: 'reconnected', url: this.#url });
      return;
    }
  }

  #giveUp(r: ResolvedReconnect): void {
    this.#gaveUp = true;
    const error = new DisconnectedError(`no hub at ${this.#url} for giveUpAfter=${r.giveUpAfter}ms`);
    this.#hold?.fail(error);
    this.#hold = undefined;
    this.#reconnected?.reject(error);
    this.#reconnected = undefined;
    this.#client.abandon(error);
    this.#report({ type: 'disconnected', url: this.#url, reconnecting: false, error });
  }
}

/** A failed write because the connection is gone (as opposed to a bad frame). */
function isLoss(err: unknown): boolean {
  return err instanceof ClosedError || err instanceof PeerGoneError;
}
