/**
 * What every Connection has in common, whatever the medium: the receive side (push mode with
 * pause/resume, or async iteration over a bounded queue), frame-size checks, waiting for room,
 * and one `closed` promise that resolves once. A backend subclasses it and implements the medium.
 *
 * Subclass duties (the hooks):
 * - `writeChunks(chunks, size)`: accept one frame; return false when the medium is now full,
 *   then call `notifyWritable()` once it has room again.
 * - `committed()` (optional): resolve once the accepted frames are in the medium, when
 *   `writeChunks` may hold them in process memory first (`send()` waits for it). The usual
 *   way: `return this.commits.wait(target)`, and `this.commits.reached(n)` as the medium takes them.
 * - Reading, either way: a medium that pushes (a socket) overrides `readStart()` / `readStop()`;
 *   a medium that is polled keeps them and implements `readTurn()`, which `scheduleRead()` runs
 *   on a later turn while `reading` is true. Either calls `deliver(frame)` for each whole frame,
 *   in order.
 * - `mediumEnded(closed)`: call when the peer is gone or the medium failed, after delivering
 *   every frame the peer committed.
 * - `inputFailed(err)`: call when the medium's input cannot be read on (bad frame length,
 *   partial-frame budget): reading stops for good and the consumer decides how to close.
 * - `release(graceful)`: on `close()` (graceful: flush what was accepted first, bounded by
 *   `flushTimeout`) or `destroy()`; release every fd, kernel object and timer.
 *
 * Mechanics written here once: per-turn flush scheduling (`scheduleFlush()` runs the `flush()`
 * hook at the end of the turn; `flushNow()` at once), commit waiters (`commits`), and read
 * scheduling (`scheduleRead()`). In-place writing is a capability: ./in-place-connection.ts.
 * @module
 */
import { ClosedError, FrameTooLargeError, PeerGoneError, ProtocolError } from '../errors.js';
import { FrameQueue } from './frame-queue.js';
import { ProgressWaiters } from './progress-waiters.js';
import { TurnTask } from './turn-task.js';
import type { CloseReason, Closed, Connection, PeerInfo } from './transport.js';

const RESOLVED = Promise.resolve();

type Waiter = { resolve: () => void; reject: (err: Error) => void };

export abstract class BaseConnection implements Connection {
  readonly maxFrameSize: number;
  readonly closed: Promise<Closed>;
  #resolveClosed!: (closed: Closed) => void;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #end: Closed | undefined;
  #full = false;
  #drainWaiters: Waiter[] = [];
  // Receive side.
  #onFrame: ((frame: Uint8Array) => void) | undefined;
  #iterating = false;
  readonly #queue = new FrameQueue();
  #pullWaiter: ((r: IteratorResult<Uint8Array>) => void) | undefined;
  #userPaused = false;
  #reading = false;
  #onInputError: ((err: Error) => void) | undefined;
  #inputBroken = false;
  readonly #readTask = new TurnTask(() => this.readTurn());
  readonly #flushTask = new TurnTask(() => this.flush());
  /**
   * Commit waiters for `committed()`: a backend that holds accepted frames before the medium
   * has them waits here for its own counter (flushes, bytes, batches) and reports progress.
   */
  protected readonly commits = new ProgressWaiters();

  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
  }

  /** Peer credentials; backends override where the kernel tells. */
  get peer(): PeerInfo {
    return {};
  }

  protected abstract writeChunks(chunks: readonly Uint8Array[], size: number): boolean;

  /** One frame in one piece: the common case. Backends may override it to skip the array. */
  protected writeFrame(frame: Uint8Array): boolean {
    return this.writeChunks([frame], frame.length);
  }
  protected abstract release(graceful: boolean): Promise<void>;

  /** A consumer wants frames: by default, a polled medium's first `readTurn()`. */
  protected readStart(): void {
    this.scheduleRead();
  }

  /** No consumer wants frames now (`reading` is false): a polled medium just stops polling. */
  protected readStop(): void {}

  /** True between `readStart()` and `readStop()`: a consumer wants frames. */
  protected get reading(): boolean {
    return this.#reading;
  }

  /**
   * Runs `readTurn()` once on a later turn (setImmediate, so other I/O runs first), however
   * often it is asked meanwhile; `soon`: at the end of this turn (process.nextTick) instead.
   */
  protected scheduleRead(soon = false): void {
    if (soon) this.#readTask.atTurnEnd();
    else this.#readTask.nextTurn();
  }

  /** True while a `readTurn()` is scheduled and has not run. */
  protected get readScheduled(): boolean {
    return this.#readTask.scheduled;
  }

  /** A polled medium reads what it holds now (called by `scheduleRead()`); the default reads nothing. */
  protected readTurn(): void {}

  /**
   * Runs `flush()` once at the end of this turn (process.nextTick), however often it is asked
   * meanwhile: every frame accepted in one turn goes to the medium together.
   */
  protected scheduleFlush(): void {
    this.#flushTask.atTurnEnd();
  }

  /** True while a `flush()` is scheduled and has not run: the frames accepted meanwhile go with it. */
  protected get flushScheduled(): boolean {
    return this.#flushTask.scheduled;
  }

  /** Runs `flush()` now (a burst, a retry, a close); a flush still scheduled then finds what came after. */
  protected flushNow(): void {
    this.#flushTask.runNow();
  }

  /** Hands what was accepted to the medium (called by `scheduleFlush()` / `flushNow()`); default: nothing. */
  protected flush(): void {}

  /** True while `close()` or `destroy()` has not begun and the medium has not ended. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  write(frame: Uint8Array | readonly Uint8Array[]): boolean {
    if (this.#state !== 'open') throw this.#sendError();
    let room: boolean;
    if (frame instanceof Uint8Array) {
      if (frame.length > this.maxFrameSize) throw new FrameTooLargeError(frame.length, this.maxFrameSize);
      room = this.writeFrame(frame);
    } else {
      let size = 0;
      for (let i = 0; i < frame.length; i++) size += frame[i]!.length;
      if (size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize);
      room = this.writeChunks(frame, size);
    }
    if (!room) this.#full = true;
    return room;
  }

  /** Throws what `write()` of a `size`-byte frame would throw before writing (for in-place writing). */
  protected checkWritable(size: number): void {
    if (this.#state !== 'open') throw this.#sendError();
    if (size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize);
  }

  /** Records what a frame written another way than `write()` said about room; returns it. */
  protected noteRoom(room: boolean): boolean {
    if (!room) this.#full = true;
    return room;
  }

  send(frame: Uint8Array | readonly Uint8Array[]): Promise<void> {
    try {
      return this.write(frame) ? this.committed() : this.drained().then(this.#committed);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  readonly #committed = (): Promise<void> => this.committed();

  /**
   * Resolves once every frame accepted so far is in the medium (kernel or ring), so that it
   * survives this process dying: what `send()` waits for besides room. Backends that hold
   * accepted frames in process memory (a write batch) override it; the default is at once.
   */
  protected committed(): Promise<void> {
    return RESOLVED;
  }

  drained(): Promise<void> {
    if (this.#state === 'closed') return Promise.reject(this.#sendError());
    if (!this.#full) return RESOLVED;
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /** Subclasses call this when a full medium has room again. */
  protected notifyWritable(): void {
    this.#full = false;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w.resolve();
  }

  consume(onFrame: (frame: Uint8Array) => void, onInputError?: (err: Error) => void): void {
    if (this.#iterating || this.#onFrame) throw new TypeError('Connection is already being consumed');
    this.#onFrame = onFrame;
    this.#onInputError = onInputError;
    // Frames that arrived before a consumer was attached go first, in order.
    while (this.#queue.length > 0) this.#dispatch(this.#queue.take()!);
    this.#updateReading();
  }

  pause(): void {
    this.#userPaused = true;
    this.#updateReading();
  }

  resume(): void {
    this.#userPaused = false;
    this.#updateReading();
  }

  /**
   * Subclasses call this when the input cannot be read on (the stream is out of step, or a
   * budget refused it): reading stops for good, and the consumer's `onInputError` decides how
   * to close (so a hub can say why first); without one, the connection is destroyed.
   */
  protected inputFailed(err: Error): void {
    if (this.#inputBroken || this.#state !== 'open' || this.#end) return;
    this.#inputBroken = true;
    this.#updateReading();
    if (this.#onInputError) this.#onInputError(err);
    else this.destroy('protocol', err);
  }

  /** True once `inputFailed` ran: nothing more is read. */
  protected get inputBroken(): boolean {
    return this.#inputBroken;
  }

  /** Subclasses call this for each whole frame, in order. */
  protected deliver(frame: Uint8Array): void {
    if (this.#onFrame) {
      this.#dispatch(frame);
      return;
    }
    if (this.#pullWaiter) {
      const w = this.#pullWaiter;
      this.#pullWaiter = undefined;
      w({ value: frame, done: false });
      return;
    }
    this.#queue.push(frame);
    if (this.#queue.full) this.#updateReading();
  }

  #dispatch(frame: Uint8Array): void {
    try {
      this.#onFrame!(frame);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.destroy(e instanceof ProtocolError ? 'protocol' : 'error', e);
    }
  }

  #updateReading(): void {
    if (this.#state === 'closed' || this.#end) return;
    const consumer = this.#onFrame !== undefined || this.#iterating;
    const want = consumer && !this.#userPaused && !this.#inputBroken
      && (this.#onFrame !== undefined || this.#queue.hasRoom(this.#reading));
    if (want && !this.#reading) {
      this.#reading = true;
      this.readStart();
    } else if (!want && this.#reading) {
      this.#reading = false;
      this.readStop();
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating || this.#onFrame) throw new TypeError('Connection is already being consumed');
    this.#iterating = true;
    this.#updateReading();
    return {
      next: () => {
        const frame = this.#queue.take();
        if (frame !== undefined) {
          this.#updateReading();
          return Promise.resolve({ value: frame, done: false });
        }
        if (this.#end || this.#state === 'closed') return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => { this.#pullWaiter = resolve; });
      },
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** Subclasses call this when the peer is gone or the medium failed. */
  protected mediumEnded(closed: Closed): void {
    // While close() or destroy() runs, the medium ending is its consequence, not a new cause:
    // the reason stays the one this side gave ('clean' for close()).
    if (this.#state !== 'open' || this.#end) return;
    this.#end = closed;
    void this.release(false).finally(() => this.#finish(closed));
  }

  async close(): Promise<void> {
    if (this.#state !== 'open') {
      await this.closed;
      return;
    }
    this.#state = 'closing';
    let error: Error | undefined;
    try {
      await this.release(true);
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    this.#finish(error ? { reason: 'error', error } : { reason: 'clean' });
    await this.closed;
  }

  destroy(reason: CloseReason, error?: Error): void {
    if (this.#state === 'closed' || this.#end) return;
    const closed: Closed = error ? { reason, error } : { reason };
    this.#end = closed;
    this.#state = 'closing';
    void this.release(false).catch(() => undefined).finally(() => this.#finish(closed));
  }

  #finish(closed: Closed): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#end ??= closed;
    const err = this.#sendError();
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const w of waiters) w.reject(err);
    if (this.#pullWaiter && this.#queue.length === 0) {
      const w = this.#pullWaiter;
      this.#pullWaiter = undefined;
      w({ value: undefined, done: true });
    }
    this.#resolveClosed(this.#end);
  }

  #sendError(): Error {
    const end = this.#end;
    if (end && end.reason !== 'clean') {
      return end.reason === 'peer-gone' ? new PeerGoneError('the peer closed the connection', { cause: end.error })
        : end.error ?? new ClosedError('connection');
    }
    return new ClosedError('connection');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
