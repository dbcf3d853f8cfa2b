/**
 * A Connection over byte streams (Unix sockets, pipes, FIFOs): length-prefixed frames
 * (framing/length-prefix.ts), with every frame of one event-loop turn batched into one write.
 *
 * Batching is the biggest lever for small messages (5-9x at 64 B against one write per frame,
 * measured on a raw Node Unix socket): small frames are copied into a shared batch buffer;
 * large frames (over COPY_LIMIT) go to the socket as chunks of their own (one writev each with
 * their header), by reference, or written in place into a pooled buffer (framing/large-frame-
 * pool.ts). The batch is flushed on `process.nextTick` (the turn's synchronous work and
 * microtasks are done), or as soon as it holds EARLY_FLUSH bytes.
 *
 * `send()` resolves only once its batch is in the kernel (the socket's write callback), so a
 * process that exits, even by SIGKILL, right after `send()` resolved loses nothing; `write()`
 * and `drained()` stay the fast path. One promise is shared by every send of a batch.
 * @module
 */
import type { Socket } from 'node:net';
import { ClosedError, PeerGoneError, ProtocolError } from '../errors.js';
import { InPlaceConnection } from './in-place-connection.js';
import type { FillReporter, PeerProver } from './capabilities.js';
import { SlabPool } from './framing/slab-pool.js';
import { LargeFrames } from './framing/large-frame-pool.js';
import { HEADER_BYTES, writeLength } from './framing/length-prefix.js';
import { PARTIAL_FRAME_TIMEOUT } from './framing/reassembly-budget.js';
import { FrameInput, type ReadInto } from './framing/frame-input.js';
import type { PeerCredentials, PeerInfo } from './transport.js';

/** Frames up to this size are copied into the batch buffer; larger ones are written as is. */
const COPY_LIMIT = 16 * 1024;
/** Chunks up to this size before a large frame's payload (its envelope) are copied in with its header. */
const LEAD_COPY_LIMIT = 1024;
/** Bytes of one batch buffer allocation. */
const SLAB_BYTES = 256 * 1024;
/**
 * `write()` reports "full" past this many bytes not yet taken by the kernel. It bounds what one
 * connection holds in memory; a peer that stays full is cut after the hub's `maxStall`. With
 * EARLY_FLUSH, 1 MiB measured as fast as 4 MiB at every size (64 B to 1 MiB) and holds less.
 */
const HIGH_WATER = 1024 * 1024;
/**
 * A batch is flushed at once when it reaches this many bytes, without waiting for the end of the
 * turn. A writer publishing in a long synchronous loop otherwise fills HIGH_WATER before the
 * first byte reaches the kernel: the reader idles while the writer encodes, then the writer
 * idles while the reader decodes. Flushing early lets the two processes work at the same time
 * (64 B through the Bus: 760k to 1M msg/s on its own).
 */
const EARLY_FLUSH = 64 * 1024;
/** A graceful close waits this long for the peer to take what was accepted. */
const DEFAULT_FLUSH_TIMEOUT = 2000;

export interface StreamConnectionOptions {
  maxFrameSize: number;
  /** Peer credentials, or a function that reads them on first use. */
  peer?: PeerInfo | (() => PeerInfo);
  /**
   * How `peer` is proven, when it is (the kernel's SO_PEERCRED, the hub's own spawn, the
   * parent): then `peerCredentials` reports it. Unset: `peer` holds only what the peer claimed.
   */
  peerProvenBy?: PeerCredentials['source'];
  flushTimeout?: number;
  /** ms a partial frame may wait for its next bytes before the connection ends (default 30 s). */
  partialFrameTimeout?: number;
  /** The input socket reads where this says (its `onread` option): large bodies straight into place. */
  readInto?: ReadInto;
  /** Called once after the sockets are destroyed (remove files, close extra fds). */
  onRelease?: () => void;
}

export class StreamConnection extends InPlaceConnection implements FillReporter, PeerProver {
  readonly #in: Socket;
  readonly #out: Socket;
  /** The read side: decoder and reassembly budget (./framing/frame-input.ts). */
  readonly #input: FrameInput;
  readonly #options: StreamConnectionOptions;
  #peer: PeerInfo | undefined;
  // Batch being built in this turn.
  #slab: Uint8Array = new Uint8Array(0);
  #slabPos = 0;
  #segStart = 0;
  /** Size of the frame reserved in place (`reserveInPlace`), written into its header on commit. */
  #reservedSize = 0;
  /** True when the frame reserved in place is a large one (in `#large`, not in the slab). */
  #reservedLarge = false;
  /** Buffers of large frames written in place, reused once written (./framing/large-frame-pool.ts). */
  readonly #large = new LargeFrames();
  #chunks: Uint8Array[] = [];
  #batchBytes = 0;
  /** Used slabs, by reference in the socket until that flush is written; then reused (./framing/slab-pool.ts). */
  readonly #slabs = new SlabPool(SLAB_BYTES);
  #waitingDrain = false;
  #released = false;
  // Commit tracking: flushes handed to the socket; `commits` counts those the kernel has taken
  // (the socket calls back in order, once per flush).
  #flushes = 0;

  constructor(input: Socket, output: Socket, options: StreamConnectionOptions) {
    super(options.maxFrameSize);
    this.#in = input;
    this.#out = output;
    this.#options = options;
    this.#input = new FrameInput(options.maxFrameSize, options.partialFrameTimeout ?? PARTIAL_FRAME_TIMEOUT,
      (frame) => this.deliver(frame), (err) => this.inputFailed(err));
    options.readInto?.bind(this.#input);
    input.on('data', (chunk: Buffer) => this.#onData(chunk));
    input.pause();
    input.on('end', () => this.#ended());
    input.on('error', (err) => this.#failed(err));
    if (output !== input) output.on('error', (err) => this.#failed(err));
    output.on('drain', () => this.#onDrain());
  }

  override get peer(): PeerInfo {
    if (this.#peer === undefined) {
      const p = this.#options.peer;
      this.#peer = typeof p === 'function' ? p() : p ?? {};
    }
    return this.#peer;
  }

  get peerCredentials(): PeerCredentials | undefined {
    const source = this.#options.peerProvenBy;
    const { pid, uid, gid } = this.peer;
    if (source === undefined || pid === undefined || pid <= 0) return undefined;
    return { pid, source, ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) };
  }

  #onData(chunk: Buffer): void {
    // A read already under way when the input was given up: the stream is out of step.
    if (this.inputBroken) return;
    this.#input.push(chunk);
  }

  #ended(): void {
    const torn = this.#input.pendingBytes;
    // A frame the peer never finished is never delivered; the peer is gone either way.
    this.mediumEnded(torn > 0
      ? { reason: 'peer-gone', error: new ProtocolError(`peer left mid-frame with ${torn} bytes pending`) }
      : { reason: 'peer-gone' });
  }

  #failed(err: Error & { code?: string }): void {
    const gone = err.code === 'ECONNRESET' || err.code === 'EPIPE';
    this.mediumEnded({ reason: gone ? 'peer-gone' : 'error', error: err });
  }

  protected override readStart(): void {
    this.#in.resume();
  }

  protected override readStop(): void {
    this.#in.pause();
  }

  protected override writeFrame(frame: Uint8Array): boolean {
    // A large frame given whole goes to the socket as it is (by reference, never copied).
    if (frame.length > COPY_LIMIT) return this.writeChunks([frame], frame.length);
    const at = this.reserveInPlace(frame.length);
    if (at < 0) return this.writeChunks([frame], frame.length);
    this.#slab.set(frame, at);
    return this.commitInPlace();
  }

  protected writeChunks(chunks: readonly Uint8Array[], size: number): boolean {
    if (size <= COPY_LIMIT) {
      this.#reserve(HEADER_BYTES + size);
      writeLength(this.#slab, this.#slabPos, size);
      let at = this.#slabPos + HEADER_BYTES;
      for (let i = 0; i < chunks.length; i++) {
        this.#slab.set(chunks[i]!, at);
        at += chunks[i]!.length;
      }
      this.#slabPos = at;
    } else {
      // Small leading chunks (a PUB's envelope before its payload) go into the batch with the
      // header: the frame is then two iovecs, not three.
      let lead = 0;
      let bytes = HEADER_BYTES;
      while (lead < chunks.length - 1 && chunks[lead]!.length <= LEAD_COPY_LIMIT) bytes += chunks[lead++]!.length;
      this.#reserve(bytes);
      writeLength(this.#slab, this.#slabPos, size);
      let at = this.#slabPos + HEADER_BYTES;
      for (let i = 0; i < lead; i++) {
        this.#slab.set(chunks[i]!, at);
        at += chunks[i]!.length;
      }
      this.#slabPos = at;
      this.#sealSegment();
      for (let i = lead; i < chunks.length; i++) if (chunks[i]!.length > 0) this.#chunks.push(chunks[i]!);
    }
    return this.#accepted(size);
  }

  /**
   * Small frames are encoded straight into the batch: no copy, no view per frame. A large one
   * (a publish copying its payload, which it must do anyway) gets a pooled buffer of its own,
   * header included, that goes to the socket as one chunk and is reused once written.
   */
  protected reserveInPlace(size: number): number {
    if (size > COPY_LIMIT) {
      this.#reservedLarge = true;
      this.reservedBuffer = this.#large.reserve(size);
      return HEADER_BYTES;
    }
    this.#reserve(HEADER_BYTES + size);
    this.#reservedSize = size;
    this.reservedBuffer = this.#slab;
    return this.#slabPos + HEADER_BYTES;
  }

  protected commitInPlace(): boolean {
    if (this.#reservedLarge) {
      this.#reservedLarge = false;
      this.#sealSegment();
      // It goes out with the next flush; its buffer is free once that is written.
      const frame = this.#large.commit(this.#flushes + 1);
      this.#chunks.push(frame);
      return this.#accepted(frame.length - HEADER_BYTES);
    }
    const size = this.#reservedSize;
    writeLength(this.#slab, this.#slabPos, size);
    this.#slabPos += HEADER_BYTES + size;
    return this.#accepted(size);
  }

  /** Bytes accepted and not yet taken by the kernel, as a fraction of the high-water mark. */
  fill(): number {
    return Math.min(1, (this.#batchBytes + this.#out.writableLength) / HIGH_WATER);
  }

  /** Counts an accepted frame into the batch, schedules its flush, and says whether there is room. */
  #accepted(size: number): boolean {
    this.#batchBytes += HEADER_BYTES + size;
    if (this.#batchBytes >= EARLY_FLUSH) {
      this.flushNow();
      return !this.#waitingDrain;
    }
    this.scheduleFlush();
    return this.#batchBytes + this.#out.writableLength < HIGH_WATER;
  }

  /** Makes room for `bytes` in the slab; a used slab is never reused (the socket may hold it). */
  #reserve(bytes: number): void {
    if (this.#slabPos + bytes <= this.#slab.length) return;
    this.#sealSegment();
    // The old slab's last segment goes out with the next flush; free once that is written.
    this.#slabs.retire(this.#slab, this.#flushes + 1);
    // Not zero-filled: every byte is written before it is sent.
    this.#slab = this.#slabs.take(bytes);
    this.#slabPos = 0;
    this.#segStart = 0;
  }

  #sealSegment(): void {
    if (this.#slabPos > this.#segStart) {
      this.#chunks.push(this.#slab.subarray(this.#segStart, this.#slabPos));
      this.#segStart = this.#slabPos;
    }
  }

  /** Hands the batch to the socket (once per turn, or at once past EARLY_FLUSH or on close). */
  protected override flush(): void {
    if (this.#released) return;
    this.#sealSegment();
    const chunks = this.#chunks;
    if (chunks.length === 0) return;
    this.#chunks = [];
    this.#batchBytes = 0;
    this.#flushes += 1;
    const last = chunks.length - 1;
    // Small batches go out as one writev (cork). A batch with large frames goes out chunk by
    // chunk, each with its own completion, so room is reported while the kernel is still taking
    // the rest and the writer can encode the next frames meanwhile.
    // Each large chunk goes out in one writev with the small ones before it (its frame's header
    // and envelope): one syscall per large frame, not one per chunk.
    let large = false;
    for (let i = 0; i <= last && !large; i++) large = chunks[i]!.length > COPY_LIMIT;
    const out = this.#out;
    if (last > 0) out.cork();
    for (let i = 0; i < last; i++) {
      const chunk = chunks[i]!;
      out.write(chunk, large ? this.#onChunkWritten : undefined);
      if (large && chunk.length > COPY_LIMIT) {
        out.uncork();
        out.cork();
      }
    }
    out.write(chunks[last]!, this.#onFlushWritten);
    if (last > 0) out.uncork();
    // Node's own write() result means "past 16 KiB": our mark is HIGH_WATER.
    const ok = this.#out.writableLength < HIGH_WATER;
    if (ok) this.notifyWritable();
    else this.#waitingDrain = true;
  }

  /** A chunk reached the kernel: report room once the buffer is below half the high water. */
  readonly #onChunkWritten = (err?: Error | null): void => {
    // A write failed by destroy() is no room: Deno calls these back synchronously inside
    // destroy(), with the buffer already emptied, which woke a blocked send() past close().
    if (err || this.#released) return;
    if (this.#waitingDrain && this.#batchBytes + this.#out.writableLength < HIGH_WATER / 2) {
      this.#waitingDrain = false;
      this.notifyWritable();
    }
  };

  /** The socket's write callback for the last chunk of a flush: that batch is in the kernel. */
  readonly #onFlushWritten = (err?: Error | null): void => {
    if (err) {
      this.#failCommits(err);
      return;
    }
    this.#onChunkWritten();
    this.commits.reached(this.commits.progress + 1);
    this.#slabs.written(this.commits.progress);
    this.#large.written(this.commits.progress);
  };

  protected override committed(): Promise<void> {
    // A batch still being built will be the next flush.
    const target = this.#flushes + (this.flushScheduled ? 1 : 0);
    // Released: no write callback will ever come (Deno does not call them after destroy()).
    if (this.#released && target > this.commits.progress) return Promise.reject(new ClosedError('connection'));
    return this.commits.wait(target);
  }

  /** Frames that never reached the kernel: their sends fail. */
  #failCommits(cause: Error & { code?: string }): void {
    if (this.commits.size === 0) return;
    const gone = cause.code === 'EPIPE' || cause.code === 'ECONNRESET';
    this.commits.failAll(gone
      ? new PeerGoneError('the frame was not written before the peer left', { cause }) : new ClosedError('connection'));
  }

  #onDrain(): void {
    if (this.#waitingDrain && this.#batchBytes + this.#out.writableLength < HIGH_WATER) {
      this.#waitingDrain = false;
      this.notifyWritable();
    }
  }

  protected async release(graceful: boolean): Promise<void> {
    if (this.#released) return;
    if (graceful) {
      this.flushNow();
      await this.#endOutput(this.#options.flushTimeout ?? DEFAULT_FLUSH_TIMEOUT);
    }
    this.#released = true;
    this.#input.release();
    this.#chunks = [];
    this.#large.drop();
    this.#in.destroy();
    this.#out.destroy();
    this.#failCommits(new ClosedError('connection'));
    this.#options.onRelease?.();
  }

  /** Ends the write side once the kernel has taken everything, or after `timeout` ms. */
  #endOutput(timeout: number): Promise<void> {
    const out = this.#out;
    if (out.destroyed || out.writableFinished) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        out.off('finish', done);
        out.off('close', done);
        out.off('error', done);
        resolve();
      };
      const timer = setTimeout(done, timeout);
      out.once('finish', done);
      out.once('close', done);
      out.once('error', done);
      out.end();
    });
  }
}
