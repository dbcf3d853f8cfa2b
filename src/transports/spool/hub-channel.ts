/**
 * One client name as the spool hub sees it (`Channel`): its logs, its client-lock probe, and the
 * connection of its current session (`HubConnection`): started at a session marker, continued or
 * resumed after a hub restart (resume-state.ts), or declined (take-back.ts). The connection
 * itself is hub-connection.ts.
 * @module
 */
import { closeSync, constants, existsSync, openSync, rmSync } from 'node:fs';
import { queryLock } from '../../native/locks.js';
import type { AcceptQueue } from '../shared/accept-queue.js';
import { channelPaths, decodeControl, DOWN_CONSUMER, encodeControl, UP_CONSUMER, type Control } from './channel-layout.js';
import { createLog, LogWriter } from './log-writer.js';
import { LogReader, type ReadRecord } from './log-reader.js';
import { HubConnection } from './hub-connection.js';
import type { SpoolOptions } from './spool-options.js';
import { readSession, type SessionRecord } from './take-back.js';
import { readResumeState } from './resume-state.js';
import { channelFailure, channelRemoved } from './channel-fault.js';

/** Tries at removing a gone client's directory, REMOVE_RETRY_MS apart. */
const REMOVE_ATTEMPTS = 20;
const REMOVE_RETRY_MS = 50;

/** What a channel needs of its hub (spool-hub.ts). */
export interface ChannelHost {
  readonly options: SpoolOptions;
  readonly epoch: string;
  readonly accepted: AcceptQueue;
  readonly closing: boolean;
  /** True while a resumed connection waits for the router: no `up` is read meanwhile. */
  readonly holdingForResume: boolean;
  resuming(conn: HubConnection): void;
  attached(conn: HubConnection): void;
  /** Drops `channel` from the hub (if it is still the one under `name`). */
  forget(name: string, channel: Channel): void;
}

/** One client name: its logs, its lock probe, and the connection of its current session. */
export class Channel {
  readonly name: string;
  readonly writer: LogWriter;
  readonly reader: LogReader;
  readonly #hub: ChannelHost;
  /** The gone client's directory is being removed (./#removeRoot); tick leaves the channel alone. */
  #removing = false;
  readonly #paths: ReturnType<typeof channelPaths>;
  #lockFd = -1;
  #conn: HubConnection | undefined;
  /** A session the hub closed: its remaining frames are skipped. */
  #dropping: string | undefined;
  /**
   * A session an earlier hub served whose client takes back what no hub took (`handback`):
   * declined, and `up` is not read until the client ended it (then its frames are skipped).
   */
  #declined: string | undefined;
  #held: ReadRecord[] = [];
  /** A tick or pump failed (channel-fault.ts): the channel is closed and does nothing more. */
  #failed = false;
  #closed = false;

  constructor(hub: ChannelHost, name: string) {
    this.#hub = hub;
    this.name = name;
    const o = hub.options;
    this.#paths = channelPaths(o.dir, name);
    createLog(this.#paths.up, [UP_CONSUMER], o.mode);
    createLog(this.#paths.down, [DOWN_CONSUMER], o.mode);
    this.writer = new LogWriter(this.#paths.down, { mode: o.mode, segmentSize: o.segmentSize, sync: o.sync, maxFrameSize: o.maxFrameSize });
    try {
      this.reader = new LogReader(this.#paths.up, UP_CONSUMER, { mode: o.mode, maxFrameSize: o.maxFrameSize, onCorrupt: o.onCorrupt });
    } catch (err) {
      this.writer.close(); // a channel removed while we opened it: leave no fd behind
      throw err;
    }
    this.reader.watch(() => this.pump());
  }

  /** True when no live process holds the client lock. */
  clientGone(): boolean {
    if (this.#closed) return true; // its lock probe is closed: nothing to serve it with
    if (this.#lockFd < 0) {
      try {
        this.#lockFd = openSync(this.#paths.clientLock, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch {
        return true;
      }
    }
    return queryLock(this.#lockFd, 'exclusive', undefined, this.#paths.clientLock) === null;
  }

  /**
   * True when this is an unnamed client's channel and that client is gone: its directory may go.
   * The marker is read before the lock is probed, never after: a client locks its channel first
   * and writes the marker second, so a marker followed by a free lock is a client that has been
   * and gone, while a free lock followed by a marker may be one that has just arrived.
   */
  #goneForGood(): boolean {
    return existsSync(this.#paths.ephemeral) && this.clientGone();
  }

  /** The router consumes `conn` (or it ended first). */
  attached(conn: HubConnection): void {
    this.#hub.attached(conn);
  }

  detach(conn: HubConnection): void {
    if (this.#conn !== conn) return;
    this.#conn = undefined;
    this.#dropping = conn.session;
  }

  #start(session: string, resume?: { replay: readonly Uint8Array[] }): HubConnection {
    if (this.#conn?.session === session) return this.#conn; // found by tick, then by its marker
    if (this.#conn) this.#conn.end('peer-gone');
    this.#declined = undefined;
    const conn = new HubConnection(this, session, this.#hub.options, resume !== undefined, resume?.replay);
    this.#conn = conn;
    this.#dropping = undefined;
    if (resume) this.#hub.resuming(conn);
    void conn.hello(this.#hub.epoch).catch(() => undefined);
    this.#hub.accepted.push(conn);
    return conn;
  }

  /**
   * Takes over a session whose start an earlier hub saw: continues it (raw transport use: its
   * frames are delivered), or, for a `handback` client (a Bus: its protocol state died with the
   * old hub), resumes it from the resume state the client keeps (resume-state.ts): the router
   * gets its HELLO and subscriptions again, then what follows in `up`. Without a resume state
   * (a client killed before it wrote one), or for frames an older session of the name left, it
   * declines it: the client ends that session, keeping what no hub took, and reconnects.
   */
  #inherit(session: SessionRecord): void {
    if (!session.handBack) {
      this.#start(session.id);
      return;
    }
    const committed = this.reader.committed;
    const state = committed > session.pos ? readResumeState(this.#paths.resume, session.id) : undefined;
    if (state) {
      // Replayed only when the earlier hub took the HELLO; else it all lies ahead in `up`.
      this.#start(session.id, { replay: committed >= state.after ? state.frames : [] });
      return;
    }
    if (this.#declined === session.id) return;
    this.#declined = session.id;
    const payload = encodeControl({ t: 'hub', e: this.#hub.epoch, s: session.id, h: true });
    void this.writer.append([{ chunks: [payload], size: payload.length, control: true }]).catch(() => undefined);
  }

  /**
   * True while a declined session's client has not ended it: its frames stay unread. A live
   * client ends it and hands them back; a dead one's next session takes them back when it opens
   * (take-back.ts), so they wait for it. Only an unnamed client's never comes back: they go.
   */
  #waitingForDeclined(): boolean {
    if (this.#declined === undefined) return false;
    const current = this.#currentSession();
    // No session file: the channel is being removed (or was damaged); its frames wait, never dropped.
    if (current === undefined) return true;
    if (current.id === this.#declined && !this.#goneForGood()) return true;
    this.#dropping = this.#declined;
    this.#declined = undefined;
    return false;
  }

  /**
   * The client's latest session, the log position of its start marker, and its handback flag;
   * undefined without a session file. A client writes it before its session's first record, so
   * a channel without one is being removed (or was damaged): never a session to take over.
   */
  #currentSession(): SessionRecord | undefined {
    return readSession(this.#paths.session);
  }

  /** Reads `up` while the current connection wants frames (or to find a session start). Never throws. */
  pump(): void {
    this.#guarded(() => this.#pump());
  }

  /** Periodic: start a connection for a live client, end one whose client died and was drained. Never throws. */
  tick(): void {
    this.#guarded(() => this.#tick());
  }

  /**
   * Runs one step of the channel's work from a timer, a watcher or the hub's close(): a fault
   * ends this channel only (channel-fault.ts), never the hub.
   */
  #guarded(step: () => void): void {
    if (this.#failed || this.#closed) return;
    try {
      step();
    } catch (err) {
      this.#fault(err);
    }
  }

  #fault(err: unknown): void {
    this.#failed = true;
    const conn = this.#conn;
    this.#conn = undefined;
    if (channelRemoved(err)) {
      conn?.end('peer-gone');
      this.close();
      this.#hub.forget(this.name, this);
      return;
    }
    // Kept (closed) in the hub's map: not retried every scan; forgotten once its directory goes.
    const reason = channelFailure(this.name, this.#paths.root, err);
    conn?.destroy('error', reason);
    this.close();
    process.emitWarning(reason.message, 'UnibusSpoolChannel');
  }

  #pump(): void {
    if (this.#hub.closing) return;
    // While a resumed session waits for the router, nothing is routed: its subscriptions must be
    // in place before any other client's PUB is routed.
    if (this.#hub.holdingForResume) {
      this.#takeOverWhileHeld();
      return;
    }
    for (;;) {
      if (this.#conn && !this.#conn.wantsFrames) return;
      if (this.#waitingForDeclined()) return;
      if (this.#held.length === 0) this.#held = this.reader.read();
      const r = this.#held.shift();
      if (!r) break;
      if (!r.control) {
        if (!this.#conn && this.#dropping === undefined) {
          const session = this.#currentSession();
          if (session === undefined) {
            this.#held.unshift(r); // no session to give it to (see #currentSession): it waits
            return;
          }
          this.#inherit(session);
          if (this.#declined !== undefined) {
            this.#held.unshift(r); // left for its client to take back
            return;
          }
        }
        if (!this.#conn) {
          this.reader.commit(r.end); // a session the hub closed: skip
          continue;
        }
        if (!this.#conn.wantsFrames) {
          this.#held.unshift(r);
          return;
        }
        this.#conn.frame(r);
        continue;
      }
      const c = decodeControl(r.payload) as Control | undefined;
      if (this.#conn) this.#conn.control(r.end);
      else this.reader.commit(r.end);
      if (c?.t === 'session') {
        this.#start(c.s);
      } else if (c?.t === 'close' && this.#conn?.session === c.s) {
        const conn = this.#conn;
        this.#conn = undefined;
        this.#dropping = c.s;
        conn.end('clean');
      }
    }
    this.#tick();
  }

  /**
   * While the hub holds every log for resumed sessions, a channel with unread frames still takes
   * over the session they belong to (resumes or declines it, as #pump would at its first frame),
   * so that it joins the hold. Without this, a client that publishes as well as subscribes (its
   * `up` is never drained, so #tick does not take it over) was resumed only after the hold of the
   * channel the new hub happened to read first had ended, and that channel's backlog, all of it
   * acknowledged, was routed before this subscriber's subscriptions were back: lost to it.
   */
  #takeOverWhileHeld(): void {
    if (this.#conn || this.#dropping !== undefined || this.#declined !== undefined) return;
    if (this.#held.length === 0) this.#held = this.reader.read();
    const first = this.#held[0];
    if (!first || first.control) return; // a session marker: a new session, its HELLO lies ahead
    const session = this.#currentSession();
    if (session !== undefined) this.#inherit(session);
  }

  #tick(): void {
    if (this.#hub.closing || this.#removing) return;
    const gone = this.clientGone();
    const drained = this.#held.length === 0 && this.reader.atHead;
    const session = this.#currentSession();
    if (!this.#conn && !gone && drained && session !== undefined && this.#dropping !== session.id && this.#declined !== session.id && this.reader.position > session.pos) {
      // A live client whose session marker an earlier hub consumed: serve (or decline) that session.
      this.#inherit(session);
    } else if (this.#conn && gone && drained) {
      const conn = this.#conn;
      this.#conn = undefined;
      this.#dropping = conn.session;
      conn.end('peer-gone');
    }
    if (!this.#conn && gone && drained && this.#goneForGood()) {
      this.close();
      this.#removeRoot(0);
    } else if (!this.#conn && !drained) {
      this.#pump();
    }
  }

  /** Its directory is gone: ends a connection still attached, then closes. */
  removed(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    conn?.end('peer-gone');
    this.close();
  }

  /**
   * Removes a gone unnamed client's directory. A removal can race a write of this process still
   * under way on the thread pool (ENOTEMPTY: a file appeared while the tree was being removed);
   * it is tried again shortly, and the channel is forgotten only once its directory is gone.
   */
  #removeRoot(attempt: number): void {
    if (attempt === 0 && this.#removing) return;
    this.#removing = true;
    try {
      rmSync(this.#paths.root, { recursive: true, force: true });
    } catch (err) {
      if (attempt < REMOVE_ATTEMPTS && !this.#hub.closing) {
        setTimeout(() => this.#removeRoot(attempt + 1), REMOVE_RETRY_MS).unref();
        return;
      }
      process.emitWarning(`unibus spool: could not remove ${this.#paths.root}: ${(err as Error).message}`);
    }
    this.#hub.forget(this.name, this);
  }

  /** Closes its logs and lock probe; idempotent, and each part is closed even if another fails. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const fd = this.#lockFd;
    this.#lockFd = -1;
    for (const part of [() => this.reader.close(), () => this.writer.close(), () => fd >= 0 && closeSync(fd)]) {
      try {
        part();
      } catch {
        // already gone with its directory: nothing left to release
      }
    }
  }
}
