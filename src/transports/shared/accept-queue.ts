/**
 * The async-iterable side of a Listener: accepted connections queue here until the hub takes
 * them; `end()` finishes every pending and future iteration. Shared by every transport.
 * @module
 */
import type { Connection } from '../transport.js';

export class AcceptQueue implements AsyncIterable<Connection> {
  #queue: Connection[] = [];
  #waiters: Array<(r: IteratorResult<Connection>) => void> = [];
  #ended = false;
  /** Every connection ever accepted and not yet closed, so the listener can close them. */
  readonly live = new Set<Connection>();

  /** Hands a new connection to the hub. */
  push(conn: Connection): void {
    if (this.#ended) {
      void conn.close();
      return;
    }
    this.live.add(conn);
    void conn.closed.then(() => this.live.delete(conn));
    const w = this.#waiters.shift();
    if (w) w({ value: conn, done: false });
    else this.#queue.push(conn);
  }

  /** Ends iteration; connections not yet taken are closed. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const w of this.#waiters) w({ value: undefined, done: true });
    this.#waiters = [];
    for (const c of this.#queue) void c.close();
    this.#queue = [];
  }

  /** Closes every live connection (used by `Listener.close()`). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.live].map((c) => c.close()));
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return {
      next: () => {
        const c = this.#queue.shift();
        if (c) return Promise.resolve({ value: c, done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
