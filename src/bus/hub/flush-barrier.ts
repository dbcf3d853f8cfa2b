/**
 * The client's flush barrier: `flush()` sends PING and resolves on the hub's PONG, which the hub
 * sends only after routing everything the client sent before the PING. Keeps the pending PINGs
 * so that a reconnecting client can send them again on its new connection, and fails them when
 * the connection is lost for good. Apart from the client (./client.ts), which only wires it.
 * @module
 */
import { AbortedError, TimeoutError } from '../../errors.js';
import { encodePing } from '../protocol/messages.js';

type Pending = { resolve: () => void; reject: (err: Error) => void };

export class FlushBarrier {
  readonly #pings = new Map<number, Pending>();
  #next = 1;

  /** Sends a PING through `write` and resolves on its PONG (rejects on timeout, abort, or a failed write). */
  flush(write: (frame: Uint8Array) => void, options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    const id = this.#next++;
    const timeout = options.timeout ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#pings.delete(id);
        if (err) reject(err);
        else resolve();
      };
      const onAbort = (): void => done(new AbortedError('flush', options.signal?.reason));
      const timer = setTimeout(() => done(new TimeoutError('flush', timeout)), timeout);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pings.set(id, { resolve: () => done(), reject: (e) => done(e) });
      try {
        write(encodePing(id));
      } catch (err) {
        done(err as Error);
      }
    });
  }

  /** The hub's PONG for `id`: that flush resolves. */
  pong(id: number): void {
    const p = this.#pings.get(id);
    this.#pings.delete(id);
    p?.resolve();
  }

  /** PINGs of every pending flush, to send again on a new connection. */
  pings(): Uint8Array[] {
    return [...this.#pings.keys()].map((id) => encodePing(id));
  }

  /** Fails every pending flush. */
  rejectAll(err: Error): void {
    for (const p of [...this.#pings.values()]) p.reject(err);
    this.#pings.clear();
  }
}
