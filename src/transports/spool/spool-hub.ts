/**
 * The hub end of a spool: holds the spool's liveness lock, finds client channels (fs.watch on
 * `channels/` plus a polling timer), and yields one Connection per client session. A channel's
 * `up` reader outlives sessions and hub restarts (its offset is committed in the spool), so
 * frames a client appended while no hub ran, or just before it died, are still delivered.
 * A session's connection ends `clean` at the client's close record, or `peer-gone` once the
 * client's lock is free (it died) and everything it appended was delivered, or when the next
 * session of the same name starts.
 * @module
 */
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LivenessLock } from '../../sync/liveness-lock.js';
import { AcceptQueue } from '../shared/accept-queue.js';
import type { Connection, Listener } from '../transport.js';
import { channelsDir } from './channel-layout.js';
import { Channel, type ChannelHost } from './hub-channel.js';
import type { HubConnection } from './hub-connection.js';
import type { SpoolOptions } from './spool-options.js';
import { prepareSpoolDir } from './spool-dir.js';

const SCAN_MS = 100;

export class SpoolHub implements Listener, ChannelHost {
  readonly url: string;
  readonly options: SpoolOptions;
  readonly accepted = new AcceptQueue();
  /** Changes on every hub start, so clients notice a restarted hub. */
  readonly epoch = randomBytes(8).toString('hex');
  readonly #live: LivenessLock;
  readonly #channels = new Map<string, Channel>();
  /** Resumed connections the router has not consumed yet: no `up` is read meanwhile. */
  readonly #resuming = new Set<HubConnection>();
  #timer: NodeJS.Timeout | undefined;
  #watcher: FSWatcher | undefined;
  closing = false;
  #closed: Promise<void> | undefined;

  constructor(url: string, options: SpoolOptions) {
    this.url = url;
    this.options = options;
    prepareSpoolDir(options.dir, url);
    this.#live = LivenessLock.acquire(join(options.dir, 'hub'));
    try {
      this.#watcher = watch(channelsDir(options.dir), () => this.#scan());
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      // the timer alone finds channels
    }
    this.#timer = setInterval(() => this.#scan(), SCAN_MS);
    queueMicrotask(() => this.#scan());
  }

  #scan(): void {
    if (this.closing) return;
    let names: string[];
    try {
      names = readdirSync(channelsDir(this.options.dir));
    } catch {
      return; // the spool directory was removed under us
    }
    for (const name of names) {
      let ch = this.#channels.get(name);
      if (!ch) {
        try {
          ch = new Channel(this, name);
        } catch {
          continue; // a client still creating it
        }
        this.#channels.set(name, ch);
      }
      ch.tick();
    }
    // An unnamed client removes its own channel after our bye: let go of its logs and timers.
    if (this.#channels.size > names.length) {
      const present = new Set(names);
      for (const [name, ch] of this.#channels) {
        if (present.has(name)) continue;
        ch.removed();
        this.#channels.delete(name);
      }
    }
  }

  get holdingForResume(): boolean {
    return this.#resuming.size > 0;
  }

  resuming(conn: HubConnection): void {
    this.#resuming.add(conn);
  }

  /** A resumed connection reached the router (or ended): once none waits, every channel reads again. */
  attached(conn: HubConnection): void {
    if (!this.#resuming.delete(conn) || this.#resuming.size > 0) return;
    queueMicrotask(() => {
      for (const ch of this.#channels.values()) ch.pump();
    });
  }

  forget(name: string, channel: Channel): void {
    if (this.#channels.get(name) === channel) this.#channels.delete(name);
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      clearInterval(this.#timer);
      this.#watcher?.close();
      try {
        this.accepted.end();
        await this.accepted.closeAll();
        // Drained channels of gone unnamed clients go; a tick never throws (a channel removed
        // meanwhile is dropped, hub-channel.ts).
        for (const ch of [...this.#channels.values()]) ch.tick();
      } finally {
        // Whatever happened above, nothing of this hub is left behind: timers, fds, its lock.
        this.closing = true;
        for (const ch of this.#channels.values()) ch.close();
        this.#channels.clear();
        this.#live.release();
      }
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
