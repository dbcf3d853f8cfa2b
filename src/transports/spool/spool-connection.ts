/**
 * What both ends of a spool connection share: outgoing frames are gathered for one microtask
 * and appended as one batch (so a `send()` resolves only once its frame is in the log: a
 * process that exits right after `send()` loses nothing), and incoming frames are committed
 * as handled: in push mode once the handler returned, with `for await` when the loop asks for
 * the next frame. A crash replays at most the frames read after the last commit.
 *
 * A handled frame is committed only once every frame its handler wrote (to any spool connection
 * of this process: a hub routes a frame by writing it to other clients' logs) is in its log.
 * Committing at once would leave a window, between the commit and the next microtask's append,
 * in which a SIGKILL loses a routed message: consumed from one log, in none.
 * @module
 */
import { BaseConnection } from '../connection-base.js';
import { DiskFullError, type Append, type LogWriter } from './log-writer.js';
import { PositionFile } from './position-file.js';
import { recordSize } from './record.js';
import { encodeControl, type Control } from './channel-layout.js';
import { FullDiskWait } from './full-disk-wait.js';

/** Spool connections of this process holding accepted frames not yet in their log. */
const unwritten = new Set<SpoolConnection>();
/** Refused batches remembered for the `drained()` calls still waiting on them (a few at most). */
const MAX_REFUSED = 64;
/** Counts writes to any spool connection of this process: what a handler wrote is what came after. */
let writeCount = 0;

export abstract class SpoolConnection extends BaseConnection {
  protected readonly writer: LogWriter;
  #batch: Append[] = [];
  #batchBytes = 0;
  #peerCommitted = 0;
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #failed: Error | undefined;
  /**
   * A full disk refuses a batch and the connection goes on (a client: its senders are told, and
   * send again); false keeps the batch and tries it again until there is room (the hub: what it
   * routed was accepted by its publishers, see ./full-disk-wait.ts).
   */
  protected readonly refusesWhenFull: boolean = false;
  readonly #fullDisk = new FullDiskWait();
  /** Batches that could not be appended for want of room (`LimitError`): their frames were not accepted. */
  #refused: Array<{ id: number; err: Error }> = [];
  /** End positions of delivered, uncommitted data frames, in delivery order. */
  #ends: number[] = [];
  #iterating = false;
  #lastTaken = -1;
  /** `writeCount` when the frame handed to a `for await` loop was taken. */
  #takenAt = 0;
  /** `writeCount` of this connection's latest write. */
  #lastWrite = 0;
  /** Batches taken for appending; `commits` counts how many have been appended (or failed), in order. */
  #taken = 0;
  /** Highest incoming position committed (commits never go back), and the one waiting for appends. */
  #committedEnd = -1;
  #waitingEnd = -1;
  /** A commit asked for while another waits: its position, and the writes it must wait for. */
  #nextEnd = -1;
  #nextSince = 0;
  #shared = true;
  /** Log position just past every frame accepted so far (appended or still in the batch). */
  #acceptedEnd: number;
  /** The peer's committed offset in our outgoing log, and how far ahead of it we may write. */
  readonly #peerOffset: PositionFile;
  readonly #maxBacklog: number;
  #backlogTimer: NodeJS.Timeout | undefined;

  constructor(maxFrameSize: number, writer: LogWriter, peerOffsetPath: string, maxBacklog: number, mode: number) {
    super(maxFrameSize);
    this.writer = writer;
    this.#acceptedEnd = writer.end;
    this.#peerOffset = new PositionFile(peerOffsetPath, mode, 0);
    this.#maxBacklog = maxBacklog;
  }

  /** Bytes written to the outgoing log that the peer has not yet committed as handled. */
  get backlog(): number {
    return this.writer.end - (this.#peerOffset.read() ?? 0);
  }

  /** Resolves waiting sends once the peer's backlog is under `maxBacklog` (polled: the peer may be down). */
  #notifyWhenRoom(): void {
    clearTimeout(this.#backlogTimer);
    this.#backlogTimer = undefined;
    if (!this.isOpen) return;
    this.#peerCommitted = this.#peerOffset.read() ?? this.#peerCommitted;
    if (this.writer.end - this.#peerCommitted <= this.#maxBacklog) {
      this.notifyWritable();
      return;
    }
    this.#backlogTimer = setTimeout(() => this.#notifyWhenRoom(), 20);
  }

  /** Stops the backlog timer and closes the peer-offset file (subclasses call it in release). */
  protected releaseShared(): void {
    this.#shared = false;
    unwritten.delete(this);
    if (this.#fullDisk.full) this.#batch = []; // never appended now: flushed() waiters go on
    this.#fullDisk.stop();
    // Frames not appended by now never will be: nobody waits for them any longer.
    this.commits.reached(Number.MAX_SAFE_INTEGER);
    clearTimeout(this.#backlogTimer);
    this.#backlogTimer = undefined;
    this.#peerOffset.close();
  }

  /** Commits `end` as the incoming log's consumer offset. */
  protected abstract commitIncoming(end: number): void;

  protected writeChunks(chunks: readonly Uint8Array[], size: number): boolean {
    // Frames are copied: a caller may reuse its buffers as soon as write() returns.
    const copy = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      copy.set(c, at);
      at += c.length;
    }
    this.#batch.push({ chunks: [copy], size });
    this.#batchBytes += recordSize(size);
    this.#acceptedEnd += recordSize(size);
    this.#schedule();
    if (this.#fullDisk.full) return false; // room is reported once the kept batch is in
    if (this.#batchBytes + this.writer.end - this.#peerCommitted <= this.#maxBacklog) return true;
    this.#peerCommitted = this.#peerOffset.read() ?? this.#peerCommitted;
    return this.#batchBytes + this.writer.end - this.#peerCommitted <= this.#maxBacklog;
  }

  /** Resolves once every frame accepted so far is in the log (a durable point), and there is room. */
  override drained(): Promise<void> {
    return this.flushed().then(() => super.drained());
  }

  /** `send()` resolves once the frame is in the log: a process may exit right after. */
  protected override committed(): Promise<void> {
    return this.flushed();
  }

  /** Appends a control record after everything already accepted. */
  protected appendControl(c: Control): Promise<void> {
    const payload = encodeControl(c);
    this.#batch.push({ chunks: [payload], size: payload.length, control: true });
    this.#acceptedEnd += recordSize(payload.length);
    this.#schedule();
    return this.flushed();
  }

  #schedule(): void {
    this.#lastWrite = ++writeCount;
    if (this.#shared) unwritten.add(this);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#fullDisk.full) return; // its retry flushes
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    if (batch.length === 0) return;
    const id = ++this.#taken;
    let kept = false;
    this.#flushing = (async () => {
      this.beforeAppend();
      await this.writer.append(batch);
    })().catch((err: Error) => {
      if (err instanceof DiskFullError && this.refusesWhenFull) {
        // A full disk refuses this batch only: its senders are told, the connection goes on,
        // and what comes next is appended once there is room again.
        this.#refused.push({ id, err });
        if (this.#refused.length > MAX_REFUSED) this.#refused.shift();
        this.#acceptedEnd = this.writer.end + this.#batch.reduce((n, a) => n + recordSize(a.size), 0);
        return;
      }
      if (err instanceof DiskFullError && this.#shared) {
        // Kept, not settled: a hub commits its publishers' offsets only once this is appended.
        // What went in before a segment roll stays in; the rest is tried again.
        kept = true;
        const rest = batch.slice(err.appended);
        this.#batch = rest.concat(this.#batch);
        this.#batchBytes += rest.reduce((n, a) => n + recordSize(a.size), 0);
        this.#taken = id - 1;
        this.#fullDisk.start(() => void this.#flush());
        return;
      }
      this.#failed = err;
      this.destroy('error', err);
    });
    await this.#flushing;
    this.#flushing = undefined;
    if (kept) return;
    this.#appendSettled(id);
    if (this.#batch.length === 0 && !this.#failed) this.#notifyWhenRoom();
  }

  #appendSettled(id: number): void {
    if (this.#batch.length === 0 && !this.#scheduled) unwritten.delete(this);
    this.commits.reached(id);
  }

  /** Resolves once every frame accepted so far is appended (or never will be); undefined: already. */
  #appendedSoFar(): Promise<void> | undefined {
    // Frames still in #batch go with the next batch taken (or were taken back: takePending).
    const batch = this.#batch.length > 0 ? this.#taken + 1 : this.#taken;
    if (this.commits.progress >= batch) return undefined;
    return this.commits.wait(batch);
  }

  /** Log position just past every frame accepted so far (exact: this connection is its log's only appender). */
  protected get acceptedEnd(): number {
    return this.#acceptedEnd;
  }

  /** Called before each batch is appended (a client writes its resume state there). */
  protected beforeAppend(): void {}

  /** Removes the accepted data frames not yet appended (they are handed back, never written). */
  protected takePending(): Uint8Array[] {
    const frames = this.#batch.filter((a) => !a.control).map((a) => a.chunks[0]!);
    for (const a of this.#batch) if (!a.control) this.#acceptedEnd -= recordSize(a.size);
    this.#batch = this.#batch.filter((a) => a.control);
    this.#batchBytes = 0;
    // An emptied batch is never appended: count it as done, so nobody waits for it.
    if (this.#batch.length === 0) this.#appendSettled(++this.#taken);
    return frames;
  }

  /** Resolves once everything accepted so far is in the log. */
  protected async flushed(): Promise<void> {
    // The batches holding what was accepted so far: those not appended yet, up to the one filling.
    const since = this.commits.progress;
    const upTo = this.#batch.length > 0 ? this.#taken + 1 : this.#taken;
    while (this.#batch.length > 0 || this.#flushing || this.#scheduled) {
      if (this.#flushing) await this.#flushing;
      else if (this.#fullDisk.full) await this.#fullDisk.over;
      else await this.#flush();
    }
    if (this.#failed) throw this.#failed;
    const refused = this.#refused.find((r) => r.id > since && r.id <= upTo);
    if (refused) throw refused.err;
  }

  /** Delivers one incoming data frame that ends at log position `end`. */
  protected pushFrame(payload: Uint8Array, end: number): void {
    const before = writeCount;
    this.#ends.push(end);
    this.deliver(payload);
    if (!this.#iterating) this.#commitThrough(this.#ends.length, before);
  }

  /** A control record ending at `end` was read: committed with the data frame before it, if any. */
  protected passControl(end: number): void {
    if (this.#ends.length === 0) this.#commitAfter(end, writeCount);
    else this.#ends[this.#ends.length - 1] = Math.max(this.#ends[this.#ends.length - 1]!, end);
  }

  /** Commits the first `count` handled frames once what was written since `since` is appended. */
  #commitThrough(count: number, since: number): void {
    count = Math.min(count, this.#ends.length);
    if (count <= 0) return;
    const end = this.#ends[count - 1]!;
    this.#ends.splice(0, count);
    this.#commitAfter(end, since);
  }

  /**
   * Commits `end` once every spool connection of this process written to after write number
   * `since` (by the handlers of the frames up to `end`) has appended those frames. One wait at a
   * time: commits asked for meanwhile are taken together after it.
   */
  #commitAfter(end: number, since: number): void {
    if (this.#waitingEnd >= 0) {
      this.#nextSince = this.#nextEnd < 0 ? since : Math.min(this.#nextSince, since);
      this.#nextEnd = Math.max(this.#nextEnd, end);
      return;
    }
    let waits: Array<Promise<void>> | undefined;
    for (const c of unwritten) {
      if (c.#lastWrite <= since) continue;
      const w = c.#appendedSoFar();
      if (w) (waits ??= []).push(w);
    }
    if (waits === undefined) {
      this.#commit(end);
      return;
    }
    this.#waitingEnd = end;
    void Promise.all(waits).then(() => {
      this.#commit(this.#waitingEnd);
      this.#waitingEnd = -1;
      const next = this.#nextEnd;
      this.#nextEnd = -1;
      if (next >= 0) this.#commitAfter(next, this.#nextSince);
    });
  }

  #commit(end: number): void {
    // Released meanwhile: the frames after the last commit are replayed to the next session
    // (at least once), never lost.
    if (end <= this.#committedEnd || !this.#shared) return;
    this.#committedEnd = end;
    this.commitIncoming(end);
  }

  override [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.#iterating = true; // before super starts reading: frames are committed when handled
    const inner = super[Symbol.asyncIterator]();
    return {
      next: async () => {
        // The loop asks for the next frame: the previous one was handled.
        if (this.#lastTaken >= 0) {
          this.#lastTaken = -1;
          this.#commitThrough(1, this.#takenAt);
        }
        const r = await inner.next();
        if (!r.done) {
          this.#lastTaken = 1;
          this.#takenAt = writeCount;
        }
        return r;
      },
      return: async () => (inner.return ? inner.return() : { value: undefined, done: true }),
    };
  }
}
