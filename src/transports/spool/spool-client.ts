/**
 * The client end of a spool: holds the channel's client lock (one live client per name),
 * appends to `up` and reads `down` as the named consumer. It does not end when the hub dies
 * (frames wait in the spool for the next hub); it ends when a new hub announces itself for
 * its session (`peer-gone`: the hub lost its state, reconnect), or the hub says bye (`clean`).
 * @module
 */
import { closeSync, constants, openSync, rmSync, writeFileSync } from 'node:fs';
import { LivenessLock } from '../../sync/liveness-lock.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PeerGoneError, PermissionDeniedError, isSystemError } from '../../errors.js';
import { tryLock } from '../../native/locks.js';
import { channelPaths, decodeControl, DOWN_CONSUMER, UP_CONSUMER } from './channel-layout.js';
import { createLog, LogWriter } from './log-writer.js';
import { LogReader } from './log-reader.js';
import { SpoolConnection } from './spool-connection.js';
import { notTaken, readSession, takeBackFromPredecessor, writeSession } from './take-back.js';
import { writeResumeState } from './resume-state.js';
import type { SpoolOptions } from './spool-options.js';
import type { PeerInfo } from '../transport.js';
import type { DurableHandBack } from '../capabilities.js';

export class SpoolClientConnection extends SpoolConnection implements DurableHandBack {
  /** A full disk refuses a batch (its `send()`s reject with `LimitError`); later ones go in once there is room. */
  protected override readonly refusesWhenFull = true;
  readonly name: string;
  readonly session = randomBytes(8).toString('hex');
  readonly #reader: LogReader;
  readonly #lockFd: number;
  #epoch: string | undefined;
  #released = false;
  #byeSeen = false;
  readonly #dir: string;
  readonly #ephemeral: boolean;
  readonly #options: SpoolOptions;
  /** Set when a new hub declined this session: filled in release() with what no hub took. */
  #handingBack: Uint8Array[] | undefined;
  /**
   * Frames of this name's previous session, which a hub declined after its client died: taken
   * back when this session opened (take-back.ts); the owner sends them again (a Bus does).
   */
  takenBack: readonly Uint8Array[] = [];
  /** The owner's resume state (`resumeWith`), where it starts to apply, and whether it changed. */
  #resumeState: (() => readonly Uint8Array[]) | undefined;
  #resumeAfter = -1;
  #resumeDirty = false;
  #resumeQueued = false;

  private constructor(name: string, o: SpoolOptions, lockFd: number, writer: LogWriter, reader: LogReader, ephemeral: boolean) {
    super(o.maxFrameSize, writer, join(channelPaths(o.dir, name).up, 'consumers', UP_CONSUMER), o.maxBacklog, o.mode);
    this.name = name;
    this.#lockFd = lockFd;
    this.#reader = reader;
    this.#dir = o.dir;
    this.#ephemeral = ephemeral;
    this.#options = o;
  }

  /** Opens (creating when missing) channel `name` of the spool at `dir` and starts a session. */
  static async open(dir: string, name: string, ephemeral: boolean, o: SpoolOptions): Promise<SpoolClientConnection> {
    const p = channelPaths(dir, name);
    createLog(p.up, [UP_CONSUMER], o.mode);
    createLog(p.down, [DOWN_CONSUMER], o.mode);
    const { O_RDWR, O_CREAT, O_NOFOLLOW } = constants;
    const lockFd = openSync(p.clientLock, O_RDWR | O_CREAT | O_NOFOLLOW, o.mode);
    let writer: LogWriter | undefined;
    try {
      if (!tryLock(lockFd, 'exclusive', undefined, p.clientLock)) {
        throw new PermissionDeniedError(`spool consumer name=${name} is in use by a live client: dir=${dir}`);
      }
      if (ephemeral) writeFileSync(p.ephemeral, '', { mode: o.mode });
      writer = new LogWriter(p.up, { mode: o.mode, segmentSize: o.segmentSize, sync: o.sync, maxFrameSize: o.maxFrameSize });
      const reader = new LogReader(p.down, DOWN_CONSUMER, { mode: o.mode, maxFrameSize: o.maxFrameSize, onCorrupt: o.onCorrupt });
      const conn = new SpoolClientConnection(name, o, lockFd, writer, reader, ephemeral);
      // Before this session's file replaces the previous one's: what a dead predecessor left.
      conn.takenBack = takeBackFromPredecessor(p.session, p.up, p.down, o);
      // The session and where its start marker goes: a restarted hub that finds its offset past
      // that position knows the session is running and serves it without seeing the marker.
      // With handBack, a later hub declines the session instead of continuing it (see release).
      writeSession(p.session, { id: conn.session, pos: writer.end, handBack: o.handBack, taken: false }, o.mode);
      await conn.appendControl({ t: 'session', s: conn.session, pid: process.pid });
      return conn;
    } catch (err) {
      writer?.close();
      closeSync(lockFd);
      if (isSystemError(err, 'EACCES')) throw new PermissionDeniedError(`cannot open spool channel: dir=${dir} name=${name}`, { cause: err });
      // Someone removed the channel's directory while it was being opened (see hub-channel.ts).
      if (isSystemError(err, 'ENOENT')) throw new PeerGoneError(`spool channel removed while it was being opened: dir=${dir} name=${name}`, { cause: err });
      throw err;
    }
  }

  /**
   * The session's protocol state, as frames a new hub replays to continue this session after a
   * restart (a Bus: its HELLO and current subscriptions). The first call's position marks the
   * HELLO's end: call it right after writing the HELLO, and again after each change. `state` is
   * read when the file is written, before the next batch is appended (at most once per batch).
   */
  resumeWith(state: () => readonly Uint8Array[]): void {
    if (this.#resumeAfter < 0) this.#resumeAfter = this.acceptedEnd;
    this.#resumeState = state;
    this.#resumeDirty = true;
    if (this.#resumeQueued) return;
    this.#resumeQueued = true;
    // A change with nothing to append still reaches the file (after a batch queued before it).
    queueMicrotask(() => {
      this.#resumeQueued = false;
      try {
        if (!this.#released) this.beforeAppend();
      } catch (err) {
        this.destroy('error', err as Error); // as a failed append does: the medium failed
      }
    });
  }

  /** Writes a changed resume state before the frames it covers are appended. */
  protected override beforeAppend(): void {
    if (!this.#resumeDirty || !this.#resumeState) return;
    this.#resumeDirty = false;
    const path = channelPaths(this.#dir, this.name).resume;
    writeResumeState(path, { session: this.session, after: this.#resumeAfter, frames: this.#resumeState() }, this.#options.mode);
  }

  /** True while a hub holds the spool's liveness lock (it will read this session, maybe late). */
  hubAlive(): boolean {
    return LivenessLock.isHeld(join(this.#dir, 'hub'));
  }

  override get peer(): PeerInfo {
    return {};
  }

  /** Corrupt stretches skipped while reading `down`. */
  get corruptions(): number {
    return this.#reader.corruptions;
  }

  protected commitIncoming(end: number): void {
    this.#reader.commit(end);
  }

  protected override readStart(): void {
    this.#reader.watch(this.#pump);
    this.#pump();
  }

  readonly #pump = (): void => {
    while (this.reading && this.isOpen) {
      const records = this.#reader.read();
      if (records.length === 0) return;
      for (const r of records) {
        if (!r.control) {
          this.pushFrame(r.payload, r.end);
          continue;
        }
        this.passControl(r.end);
        const c = decodeControl(r.payload);
        if (c?.t === 'hub' && c.s === this.session) {
          if (c.h && this.#options.handBack) {
            // A new hub that has none of the old one's state: end, handing back what no hub took.
            const closed = { reason: 'peer-gone' as const, unsent: [] as Uint8Array[] };
            this.#handingBack = closed.unsent;
            return this.mediumEnded(closed);
          }
          // `r`: a new hub continues this session from its resume state: go on with it.
          if (this.#epoch === undefined || c.r) this.#epoch = c.e;
          else if (c.e !== this.#epoch) return this.mediumEnded({ reason: 'peer-gone' });
        } else if (c?.t === 'bye' && c.s === this.session) {
          this.#byeSeen = true;
          return this.mediumEnded({ reason: 'clean' });
        }
      }
    }
  };

  protected async release(graceful: boolean): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#reader.unwatch();
    try {
      if (graceful) {
        await this.flushed();
        await this.appendControl({ t: 'close', s: this.session });
      } else if (this.#handingBack) {
        await this.flushed().catch(() => undefined);
        // The new hub reads none of this session's frames until we ended it (our lock is gone
        // or our next session started), so the hub offset is where the old hub stopped.
        const paths = channelPaths(this.#dir, this.name);
        this.#handingBack.push(...notTaken(paths.up, this.#options), ...this.takePending());
        // Handed back: the next session of this name must not take them back again.
        const current = readSession(paths.session);
        if (current?.id === this.session) writeSession(paths.session, { ...current, taken: true }, this.#options.mode);
      }
    } finally {
      this.releaseShared();
      this.#reader.close();
      this.writer.close();
      closeSync(this.#lockFd); // drops the client lock
      // An unnamed client cannot be resumed: once its hub said bye, or when no hub runs to
      // drain it, its channel goes with it (a live hub deletes it after draining otherwise).
      if (this.#ephemeral && (this.#byeSeen || !LivenessLock.isHeld(join(this.#dir, 'hub')))) {
        rmSync(channelPaths(this.#dir, this.name).root, { recursive: true, force: true });
      }
    }
  }
}
