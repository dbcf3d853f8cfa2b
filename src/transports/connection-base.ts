/**
 * What every Connection has in common, whatever the medium: the receive side (push mode with
 * pause/resume, or async iteration over a bounded queue), frame-size checks, waiting for room,
 * and one `closed` promise that resolves once. A backend subclasses it and implements the medium.
 *
 * Subclass duties:
 * - `writeChunks(chunks, size)`: accept one frame; return false when the medium is now full,
 *   then call `notifyWritable()` once it has room again.
 * - `committed()` (optional): resolve once the accepted frames are in the medium, when
 *   `writeChunks` may hold them in process memory first (`send()` waits for it).
 * - `readStart()` / `readStop()`: start and stop taking frames from the medium; call
 *   `deliver(frame)` for each whole frame, in order.
 * - `mediumEnded(closed)`: call when the peer is gone or the medium failed, after delivering
 *   every frame the peer committed.
 * - `inputFailed(err)`: call when the medium's input cannot be read on (bad frame length,
 *   partial-frame budget): reading stops for good and the consumer decides how to close.
 * - `release(graceful)`: on `close()` (graceful: flush what was accepted first, bounded by
 *   `flushTimeout`) or `destroy()`; release every fd, kernel object and timer.
 * @module
 */
import { ClosedError, FrameTooLargeError, PeerGoneError, ProtocolError } from '../errors.js';
import type { CloseReason, Closed, Connection, PeerCredentials, PeerInfo } from './transport.js';

/** Frames buffered for an async iterator before reading pauses. */
const QUEUE_HIGH = 1024;
/** Reading resumes when the iterator has taken the queue below this. */
const QUEUE_LOW = 256;
/** The same bounds in bytes: 1024 frames of up to 16 MiB each would be no bound at all. */
const QUEUE_HIGH_BYTES = 8 * 1024 * 1024;
const QUEUE_LOW_BYTES = 2 * 1024 * 1024;
const RESOLVED = Promise.resolve();
/** `reservedBuffer` before any reservation. */
const NO_BUFFER = new Uint8Array(0);

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
  #queue: Uint8Array[] = [];
  #queueHead = 0;
  #queueBytes = 0;
  #pullWaiter: ((r: IteratorResult<Uint8Array>) => void) | undefined;
  #userPaused = false;
  #reading = false;
  #onInputError: ((err: Error) => void) | undefined;
  #inputBroken = false;

  constructor(maxFrameSize: number) {
    this.maxFrameSize = maxFrameSize;
    this.closed = new Promise((resolve) => { this.#resolveClosed = resolve; });
  }

  /** Peer credentials; backends override where the kernel tells. */
  get peer(): PeerInfo {
    return {};
  }

  /** Proven peer identity; backends override where the kernel (or their own act) proves it. */
  get peerCredentials(): PeerCredentials | undefined {
    return undefined;
  }

  protected abstract writeChunks(chunks: readonly Uint8Array[], size: number): boolean;

  /** One frame in one piece: the common case. Backends may override it to skip the array. */
  protected writeFrame(frame: Uint8Array): boolean {
    return this.writeChunks([frame], frame.length);
  }
  protected abstract readStart(): void;
  protected abstract readStop(): void;
  protected abstract release(graceful: boolean): Promise<void>;

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

  /** See `Connection.reserveFrame`; backends that keep their own buffer override `reserveInPlace`. */
  reservedBuffer: Uint8Array = NO_BUFFER;

  reserveFrame(size: number): number {
    if (this.#state !== 'open') throw this.#sendError();
    if (size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize);
    return this.reserveInPlace(size);
  }

  commitFrame(): boolean {
    const room = this.commitInPlace();
    if (!room) this.#full = true;
    return room;
  }

  /**
   * Room for a frame of `size` bytes in the backend's buffer: sets `reservedBuffer` and returns
   * the offset there, or -1 (the default: no in-place writing).
   */
  protected reserveInPlace(_size: number): number {
    return -1;
  }

  /** Sends the frame reserved last (only called after a successful `reserveInPlace`). */
  protected commitInPlace(): boolean {
    throw new Error('commitFrame() without a reservation');
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
    while (this.#queueHead < this.#queue.length) this.#dispatch(this.#take()!);
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
    this.#queueBytes += frame.length;
    if (this.#queue.length - this.#queueHead >= QUEUE_HIGH || this.#queueBytes >= QUEUE_HIGH_BYTES) this.#updateReading();
  }

  #dispatch(frame: Uint8Array): void {
    try {
      this.#onFrame!(frame);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.destroy(e instanceof ProtocolError ? 'protocol' : 'error', e);
    }
  }

  #take(): Uint8Array | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const frame = this.#queue[this.#queueHead]!;
    this.#queue[this.#queueHead++] = undefined as never;
    this.#queueBytes -= frame.length;
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    }
    return frame;
  }

  #updateReading(): void {
    if (this.#state === 'closed' || this.#end) return;
    const queued = this.#queue.length - this.#queueHead;
    const consumer = this.#onFrame !== undefined || this.#iterating;
    const want = consumer && !this.#userPaused && !this.#inputBroken
      && (this.#onFrame !== undefined || (queued < (this.#reading ? QUEUE_HIGH : QUEUE_LOW)
        && this.#queueBytes < (this.#reading ? QUEUE_HIGH_BYTES : QUEUE_LOW_BYTES)));
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
        const frame = this.#take();
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
    if (this.#pullWaiter && this.#queueHead >= this.#queue.length) {
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
