/**
 * The spool hub's end of one client session (`HubConnection`): it reads the client's `up` log
 * through its channel (hub-channel.ts), which owns the logs and the `down` writer and feeds
 * this connection the records it reads; closing says `bye` to the client unless it is gone.
 * @module
 */
import { join } from 'node:path';
import { channelPaths, DOWN_CONSUMER } from './channel-layout.js';
import type { ReadRecord } from './log-reader.js';
import { SpoolConnection } from './spool-connection.js';
import type { SpoolOptions } from './spool-options.js';
import type { Channel } from './hub-channel.js';

/** One session of one client, served by the spool hub. */
export class HubConnection extends SpoolConnection {
  readonly session: string;
  readonly #channel: Channel;
  /** Continues a session an earlier hub served, from its resume state. */
  readonly resumed: boolean;

  /** `replay`: the resume state's frames, given to the router before anything read from `up`. */
  constructor(channel: Channel, session: string, o: SpoolOptions, resumed = false, replay: readonly Uint8Array[] = []) {
    super(o.maxFrameSize, channel.writer, join(channelPaths(o.dir, channel.name).down, 'consumers', DOWN_CONSUMER), o.maxBacklog, o.mode);
    this.#channel = channel;
    this.session = session;
    this.resumed = resumed;
    // Queued until the router consumes this connection; committed with nothing (not in `up`).
    for (const f of replay) this.deliver(f);
  }

  protected commitIncoming(end: number): void {
    this.#channel.reader.commit(end);
  }

  protected override readStart(): void {
    this.#channel.attached(this);
    this.#channel.pump();
  }

  frame(r: ReadRecord): void {
    this.pushFrame(r.payload, r.end);
  }

  control(end: number): void {
    this.passControl(end);
  }

  end(reason: 'clean' | 'peer-gone'): void {
    this.mediumEnded({ reason });
  }

  get wantsFrames(): boolean {
    return this.reading && this.isOpen;
  }

  hello(epoch: string): Promise<void> {
    return this.appendControl(this.resumed ? { t: 'hub', e: epoch, s: this.session, r: true } : { t: 'hub', e: epoch, s: this.session });
  }

  protected async release(graceful: boolean): Promise<void> {
    this.#channel.attached(this);
    this.#channel.detach(this);
    try {
      if (!this.#channel.clientGone()) {
        if (graceful) await this.flushed();
        // The down writer belongs to the channel; tell the client this session is over.
        await this.appendControl({ t: 'bye', s: this.session }).catch(() => undefined);
      }
    } finally {
      this.releaseShared();
    }
  }
}
