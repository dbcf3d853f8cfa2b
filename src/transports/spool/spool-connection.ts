/**
 * What both ends of a spool connection share: outgoing frames are gathered for one microtask
 * and appended as one batch (so a `send()` resolves only once its frame is in the log: a
 * process that exits right after `send()` loses nothing), and incoming frames are committed
 * as handled: in push mode once the handler returned, with `for await` when the loop asks for
 * the next frame. A crash replays at most the frames read after the last commit.
 * @module
 */
import { BaseConnection } from '../connection-base.js';
import type { Append, LogWriter } from './log-writer.js';
import { PositionFile } from './position-file.js';
import { recordSize } from './record.js';
import { encodeControl, type Control } from './channel-layout.js';

export abstract class SpoolConnection extends BaseConnection {
  protected readonly writer: LogWriter;
  #batch: Append[] = [];
  #batchBytes = 0;
  #peerCommitted = 0;
  #flushing: Promise<void> | undefined;
  #scheduled = false;
  #failed: Error | undefined;
  /** End positions of delivered, uncommitted data frames, in delivery order. */
  #ends: number[] = [];
  #iterating = false;
  #lastTaken = -1;
  /** Wants frames (readStart called and not readStop). */
  protected wanted = false;

  /** The peer's committed offset in our outgoing log, and how far ahead of it we may write. */
  readonly #peerOffset: PositionFile;
  readonly #maxBacklog: number;
  #backlogTimer: NodeJS.Timeout | undefined;

  constructor(maxFrameSize: number, writer: LogWriter, peerOffsetPath: string, maxBacklog: number, mode: number) {
    super(maxFrameSize);
    this.writer = writer;
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
    this.#schedule();
    if (this.#batchBytes + this.writer.end - this.#peerCommitted <= this.#maxBacklog) return true;
    this.#peerCommitted = this.#peerOffset.read() ?? this.#peerCommitted;
    return this.#batchBytes + this.writer.end - this.#peerCommitted <= this.#maxBacklog;
  }

  /** Resolves once every frame accepted so far is in the log (a durable point), and there is room. */
  override drained(): Promise<void> {
    return this.flushed().then(() => super.drained());
  }

  /** Resolves once the frame is in the log (a process may exit right after), and there is room. */
  override send(frame: Uint8Array | readonly Uint8Array[]): Promise<void> {
    let room: boolean;
    try {
      room = this.write(frame);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.flushed().then(() => (room ? undefined : this.drained()));
  }

  /** Appends a control record after everything already accepted. */
  protected appendControl(c: Control): Promise<void> {
    const payload = encodeControl(c);
    this.#batch.push({ chunks: [payload], size: payload.length, control: true });
    this.#schedule();
    return this.flushed();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#scheduled = false;
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    if (batch.length === 0) return;
    this.#flushing = this.writer.append(batch).catch((err: Error) => {
      this.#failed = err;
      this.destroy('error', err);
    });
    await this.#flushing;
    this.#flushing = undefined;
    if (this.#batch.length === 0 && !this.#failed) this.#notifyWhenRoom();
  }

  /** Removes the accepted data frames not yet appended (they are handed back, never written). */
  protected takePending(): Uint8Array[] {
    const frames = this.#batch.filter((a) => !a.control).map((a) => a.chunks[0]!);
    this.#batch = this.#batch.filter((a) => a.control);
    this.#batchBytes = 0;
    return frames;
  }

  /** Resolves once everything accepted so far is in the log. */
  protected async flushed(): Promise<void> {
    while (this.#batch.length > 0 || this.#flushing || this.#scheduled) {
      if (this.#flushing) await this.#flushing;
      else await this.#flush();
    }
    if (this.#failed) throw this.#failed;
  }

  /** Delivers one incoming data frame that ends at log position `end`. */
  protected pushFrame(payload: Uint8Array, end: number): void {
    this.#ends.push(end);
    this.deliver(payload);
    if (!this.#iterating) this.#commitThrough(this.#ends.length);
  }

  /** A control record ending at `end` was read: commit it if no data frame waits before it. */
  protected passControl(end: number): void {
    if (this.#ends.length === 0) this.commitIncoming(end);
    else this.#ends[this.#ends.length - 1] = Math.max(this.#ends[this.#ends.length - 1]!, end);
  }

  #commitThrough(count: number): void {
    count = Math.min(count, this.#ends.length);
    if (count <= 0) return;
    const end = this.#ends[count - 1]!;
    this.#ends.splice(0, count);
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
          this.#commitThrough(1);
        }
        const r = await inner.next();
        if (!r.done) this.#lastTaken = 1;
        return r;
      },
      return: async () => (inner.return ? inner.return() : { value: undefined, done: true }),
    };
  }

  protected readStart(): void {
    this.wanted = true;
    this.onReadStart();
  }

  protected readStop(): void {
    this.wanted = false;
  }

  protected abstract onReadStart(): void;
}
