/**
 * One sysvmq connection: a private queue pair (this side writes `tx`, reads `rx`), the process
 * waker for wake-ups, and a pid watch on the peer.
 *
 * - Sending: frames batch in an {@link Outbox} and are flushed once per event-loop turn with
 *   IPC_NOWAIT; then the peer gets one Data wake. On EAGAIN the peer gets a Blocked wake and
 *   answers Space once it has drained; a backoff timer retries too, so a lost notice only costs
 *   time. `write()` reports full past {@link HIGH_WATER} bytes not yet in the kernel.
 * - Receiving: on a Data wake, non-blocking receives until ENOMSG (at most DRAIN_BATCH messages
 *   per turn), feeding one length-prefix decoder: the queue has a single writer, so reassembly
 *   is per sender by construction, and a frame the peer never finished is never delivered.
 * - Ending: `close()` flushes, sends BYE, and (hub side) waits for the client's BYE before
 *   removing the pair; reading a BYE ends the connection `clean`; a removed queue (EIDRM) or a
 *   dead peer pid ends it `peer-gone` after draining every complete frame the peer committed.
 *   Ending any other way removes the pair and wakes the peer, which then sees EIDRM.
 * @module
 */
import { ClosedError, PeerGoneError, ProtocolError } from '../../errors.js';
import { Errno } from '../../native/errno.js';
import { IPC_NOWAIT, MsgBuffer, msgReceive, msgRemove } from '../../native/sysv-msg.js';
import { Backoff } from '../../sync/backoff.js';
import { BaseConnection } from '../connection-base.js';
import { LengthPrefixDecoder } from '../framing/length-prefix.js';
import type { Closed, PeerInfo } from '../transport.js';
import { FlushResult, Outbox } from './outbox.js';
import { pidAlive, watchPeer, type PeerWatch } from './peer-watch.js';
import type { Waker, WakeTarget } from './waker.js';
import { BYE, DATA, Wake } from './wire.js';

/** `write()` reports full past this many bytes not yet taken by the kernel. */
export const HIGH_WATER = 256 * 1024;
/** Messages received per turn before yielding to the event loop. */
const DRAIN_BATCH = 256;
const RETRY_FIRST_MS = 5;
const RETRY_MAX_MS = 200;
const DEFAULT_FLUSH_TIMEOUT = 2000;
/**
 * Event-loop turns a writer that found the queue full retries (setImmediate) before it asks for
 * a Space notice. Measured (noisy machine): about 1.3x at 64 B and up to 3x at 4 KiB; a reader
 * that polled as well did worse at 64 B, so the reader only waits for wakes.
 */
const SPIN_TURNS = 32;

const WAKE_DATA = Uint8Array.of(Wake.Data);
const WAKE_BLOCKED = Uint8Array.of(Wake.Blocked);
const WAKE_SPACE = Uint8Array.of(Wake.Space);

export interface SysvConnectionOptions {
  role: 'hub' | 'client';
  tx: number;
  rx: number;
  msgmax: number;
  maxFrameSize: number;
  waker: Waker;
  /** This side's endpoint on `waker` (already registered; the connection takes it over). */
  endpoint: number;
  peerWakeQueue: number;
  peerEndpoint: number;
  peer: PeerInfo & { pid: number };
  flushTimeout?: number;
  /** Called once when everything is released; `peerDead` when the peer process is gone. */
  onRelease?: (peerDead: boolean) => void;
}

export class SysvConnection extends BaseConnection implements WakeTarget {
  readonly #o: SysvConnectionOptions;
  readonly #outbox: Outbox;
  readonly #decoder: LengthPrefixDecoder;
  readonly #rxBuf: MsgBuffer;
  readonly #watch: PeerWatch;
  #wantRead = false;
  #peerBlocked = false;
  #blocked = false;
  #full = false;
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #retry = new Backoff({ initial: RETRY_FIRST_MS, max: RETRY_MAX_MS });
  #peerBye = false;
  #peerDead = false;
  #rxGone = false;
  #released = false;
  #closing = false;
  #byeWaiter: (() => void) | undefined;
  #releasing: Promise<void> | undefined;
  #sendSpins = 0;

  constructor(options: SysvConnectionOptions) {
    super(options.maxFrameSize);
    this.#o = options;
    this.#outbox = new Outbox(options.tx, options.msgmax);
    this.#rxBuf = new MsgBuffer(options.msgmax);
    this.#decoder = new LengthPrefixDecoder(options.maxFrameSize, (frame) => {
      if (!this.#closing) this.deliver(frame);
    });
    options.waker.retarget(options.endpoint, this);
    this.#watch = watchPeer(options.peer.pid, () => this.#peerGone());
    // Frames may already wait (the peer can send before we are woken): look once.
    this.#wantRead = true;
  }

  /** The queue this side writes (for diagnostics and garbage-injection tests). */
  get txQueue(): number {
    return this.#o.tx;
  }

  /** The queue this side reads (for diagnostics and garbage-injection tests). */
  get rxQueue(): number {
    return this.#o.rx;
  }

  override get peer(): PeerInfo {
    return this.#o.peer;
  }

  // ---- waker ----

  onWake(text: Uint8Array): void {
    const kind = text[0];
    if (kind === Wake.Data) this.#wantRead = true;
    else if (kind === Wake.Blocked) { this.#peerBlocked = true; this.#wantRead = true; }
    else if (kind === Wake.Space) {
      // The peer answered our Blocked: a later EAGAIN needs a new Blocked.
      this.#blocked = false;
      this.scheduleFlush();
    }
  }

  afterWakes(): void {
    if (this.#wantRead) this.scheduleRead();
  }

  // ---- sending ----

  /**
   * Resolves once every frame accepted so far is in the kernel queue (not merely accepted here),
   * so a peer that exits or is killed right after `send()` resolved loses nothing: the queue
   * outlives it. `commits` counts the bytes the queue has taken.
   */
  protected override committed(): Promise<void> {
    return this.commits.wait(this.#outbox.acceptedBytes);
  }

  protected writeChunks(chunks: readonly Uint8Array[], size: number): boolean {
    this.#outbox.push(chunks, size);
    this.scheduleFlush();
    if (this.#outbox.pendingBytes >= HIGH_WATER) this.#full = true;
    return !this.#full;
  }

  /** A flush retried on a later turn (the queue was full) or by the retry timer. */
  readonly #retryFlush = (): void => this.flushNow();

  /** Once per turn: moves the outbox into the queue with IPC_NOWAIT, then wakes the peer. */
  protected override flush(): void {
    if (this.#released) return;
    const r = this.#outbox.flush();
    if (this.#outbox.sentMessages > 0) this.#o.waker.post(this.#o.peerWakeQueue, this.#o.peerEndpoint, WAKE_DATA);
    this.commits.reached(this.#outbox.sentBytes);
    if (r === FlushResult.Gone) {
      this.#rxGone = true;
      this.scheduleRead(); // deliver what the peer committed, then end
      return;
    }
    if (r === FlushResult.Blocked) {
      // A queue holds only 16 KiB: under load the reader usually makes room within a few turns,
      // sooner than a Blocked/Space round trip through the wakers.
      if (this.#outbox.sentMessages > 0) this.#sendSpins = 0;
      if (this.#sendSpins < SPIN_TURNS) {
        this.#sendSpins++;
        setImmediate(this.#retryFlush);
        return;
      }
      if (!this.#blocked) {
        this.#blocked = true;
        this.#o.waker.post(this.#o.peerWakeQueue, this.#o.peerEndpoint, WAKE_BLOCKED);
      }
      this.#armRetry();
    } else {
      this.#sendSpins = 0;
      this.#blocked = false;
      this.#retry.reset();
      if (this.#retryTimer) { clearTimeout(this.#retryTimer); this.#retryTimer = undefined; }
    }
    if (this.#full && this.#outbox.pendingBytes < HIGH_WATER) {
      this.#full = false;
      this.notifyWritable();
    }
    if (r === FlushResult.Done) this.#flushedWaiter?.();
  }

  #flushedWaiter: (() => void) | undefined;

  #armRetry(): void {
    if (this.#retryTimer || this.#released) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      // A lost Space notice must not stall us: ask again each time.
      this.#blocked = false;
      this.flushNow();
    }, this.#retry.next());
  }

  // ---- receiving ----

  /** `scheduleRead()`: takes what the queue holds (the base class runs it on a later turn). */
  protected override readTurn(): void {
    if (this.#released) return;
    // While closing or ending, drain regardless of the consumer: the peer may be waiting for room
    // to send its BYE, and a dead peer's committed frames must all be delivered.
    const ending = this.#closing || this.#peerDead || this.#rxGone;
    if (!this.reading && !ending) return;
    this.#wantRead = false;
    let taken = 0;
    let empty = false;
    const buf = this.#rxBuf;
    while (this.reading || ending) {
      if (taken >= DRAIN_BATCH && !ending) {
        this.#wantRead = true;
        this.scheduleRead();
        break;
      }
      const n = msgReceive(this.#o.rx, buf, 0, IPC_NOWAIT);
      if (n < 0) {
        if (n === -Errno.EINTR) continue;
        if (n === -Errno.ENOMSG) empty = true;
        else this.#rxGone = true; // EIDRM / EINVAL: the pair was removed by the other side
        break;
      }
      taken++;
      const type = buf.type;
      if (type === DATA) {
        try {
          this.#decoder.push(Buffer.from(buf.text.subarray(0, n)));
        } catch (err) {
          this.destroy('protocol', err as Error);
          return;
        }
      } else if (type === BYE && n === 0) {
        this.#peerBye = true;
        break;
      } else {
        this.destroy('protocol', new ProtocolError(`unexpected message type=${type} size=${n} on msqid=${this.#o.rx}`));
        return;
      }
    }
    if (this.#peerBlocked && (taken > 0 || empty)) {
      this.#peerBlocked = false;
      this.#o.waker.post(this.#o.peerWakeQueue, this.#o.peerEndpoint, WAKE_SPACE);
    }
    if (this.#peerBye || this.#rxGone || (this.#peerDead && empty)) this.#ended();
  }

  #peerGone(): void {
    this.#peerDead = true;
    this.scheduleRead();
  }

  #ended(): void {
    if (this.#closing) {
      // A close is under way: it only waited for this.
      this.#abortWaits();
      return;
    }
    const torn = this.#decoder.pendingBytes;
    let closed: Closed;
    if (this.#peerBye && torn === 0) closed = { reason: 'clean' };
    else if (torn > 0) closed = { reason: 'peer-gone', error: new ProtocolError(`peer left mid-frame with ${torn} bytes pending`) };
    else closed = { reason: 'peer-gone' };
    this.mediumEnded(closed);
  }

  // ---- ending ----

  #abortWaits(): void {
    this.#flushedWaiter?.();
    this.#byeWaiter?.();
  }

  protected release(graceful: boolean): Promise<void> {
    if (this.#releasing) {
      if (!graceful) this.#abortWaits(); // destroy() during close(): stop waiting
      return this.#releasing;
    }
    this.#releasing = this.#release(graceful);
    return this.#releasing;
  }

  async #release(graceful: boolean): Promise<void> {
    this.#closing = true;
    const timeout = this.#o.flushTimeout ?? DEFAULT_FLUSH_TIMEOUT;
    if (graceful && !this.#peerDead && !this.#rxGone) {
      this.#outbox.end();
      await this.#waitFor(timeout, (done) => {
        this.#flushedWaiter = done;
        this.flushNow();
      });
      this.#flushedWaiter = undefined;
      // The hub owns the pair: it removes it once the client has read everything (its BYE).
      if (this.#o.role === 'hub' && this.#outbox.byeSent && !this.#peerBye) {
        await this.#waitFor(timeout, (done) => {
          this.#byeWaiter = done;
          this.scheduleRead();
        });
        this.#byeWaiter = undefined;
      }
    }
    this.#released = true;
    this.#watch.close();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#outbox.discard();
    this.commits.failAll(this.#peerDead || this.#rxGone
      ? new PeerGoneError('the peer went away before taking the frame') : new ClosedError('connection'));
    // A clean client close leaves the pair to the hub (it still has to read our BYE); every other
    // ending removes it, and the peer (woken) sees EIDRM.
    const leaveToHub = this.#o.role === 'client' && graceful && this.#outbox.byeSent && !this.#peerDead
      && pidAlive(this.#o.peer.pid);
    if (!leaveToHub) {
      const removedTx = msgRemove(this.#o.tx);
      const removedRx = msgRemove(this.#o.rx);
      if ((removedTx || removedRx) && !this.#peerDead) this.#o.waker.post(this.#o.peerWakeQueue, this.#o.peerEndpoint, WAKE_DATA);
    }
    this.#o.waker.unregister(this.#o.endpoint);
    this.#o.onRelease?.(this.#peerDead);
  }

  /** Runs `start(done)` and resolves when `done` is called, the peer ends, or after `ms`. */
  #waitFor(ms: number, start: (done: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      start(finish);
    });
  }
}
