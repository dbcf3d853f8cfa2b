/**
 * The process's one parked wait for System V queues.
 *
 * A process may read many queues (a hub reads one per client) but parks at most one thread-pool
 * thread in total. So every sysvmq endpoint in this process (listeners, connections, pending
 * connects) registers here and gets an endpoint number; the process owns one private **wake
 * queue** and parks a single `msgrcv.async` on it. A peer that sends data then posts a tiny wake
 * message (`mtype` = the endpoint, text = kind byte) with IPC_NOWAIT, once per batch, not per
 * frame. When the parked call returns, the whole wake queue is drained with non-blocking
 * receives, the kinds are handed to their endpoints, each touched endpoint drains its data
 * queue once, and the call is parked again. Nothing is lost between a drain and the next park:
 * a wake posted meanwhile waits in the queue and ends the next park at once.
 *
 * A wake post that finds the wake queue full (EAGAIN) is retried on a backoff timer. When the
 * last endpoint leaves, the wake queue is removed (IPC_RMID), which ends the parked call with
 * EIDRM, so the process can exit.
 * @module
 */
import { Backoff } from '../../sync/backoff.js';
import {
  IPC_NOWAIT, MsgBuffer, msgReceive, msgReceiveAsync, msgRemove, msgSend, msgSetMode,
} from '../../native/sysv-msg.js';
import { Errno } from '../../native/errno.js';
import { WAKE_TEXT_MAX } from './wire.js';
import { createWakeQueue, sweepDeadWakeQueues } from './wake-key.js';

/** What an endpoint does with its wakes. */
export interface WakeTarget {
  /** One wake message (kind byte first); called while the wake queue is being drained. */
  onWake(text: Uint8Array): void;
  /** Called once after a drain pass in which this target got at least one wake. */
  afterWakes(): void;
}

/** Result of posting a wake: sent, queued for a retry (target queue full), or the target is gone. */
export type PostResult = 'sent' | 'queued' | 'gone';

const RETRY_FIRST_MS = 2;
const RETRY_MAX_MS = 200;

interface PendingPost { queue: number; endpoint: number; text: Uint8Array }

/** A process-wide wake queue with one parked receive. Use {@link acquireWaker}. */
export class Waker {
  readonly queueId: number;
  readonly #targets = new Map<number, WakeTarget>();
  #nextEndpoint = 1;
  readonly #parkBuf = new MsgBuffer(WAKE_TEXT_MAX);
  readonly #drainBuf = new MsgBuffer(WAKE_TEXT_MAX);
  readonly #postBuf = new MsgBuffer(WAKE_TEXT_MAX);
  readonly #touched = new Set<WakeTarget>();
  readonly #retries = new Map<string, PendingPost>();
  #retryTimer: NodeJS.Timeout | undefined;
  readonly #retry = new Backoff({ initial: RETRY_FIRST_MS, max: RETRY_MAX_MS });
  #closed = false;
  readonly #onClose: () => void;

  constructor(onClose: () => void) {
    this.#onClose = onClose;
    // Wake queues of this user's killed processes go first (nobody else would ever remove them).
    sweepDeadWakeQueues();
    this.queueId = createWakeQueue();
    // process.exit() waits for the thread pool, and our parked msgrcv would never return: remove
    // the queue on the way out so the call ends with EIDRM (and the queue does not outlive us).
    process.once('exit', this.#onExit);
    this.#park();
  }

  readonly #onExit = (): void => {
    this.#closed = true;
    msgRemove(this.queueId);
  };

  /** Gets wakes whose endpoint has left (e.g. a WELCOME after its connect timed out). */
  onOrphan: ((text: Uint8Array) => void) | undefined;

  /** Registers a target; returns its endpoint number (the `mtype` peers post to). */
  register(target: WakeTarget): number {
    const endpoint = this.#nextEndpoint++;
    this.#targets.set(endpoint, target);
    return endpoint;
  }

  /**
   * Lets processes of other users post wakes here (mode 0622: they write, only we read), for
   * a hub or client with `allowOtherUsers`: at 0600 their posts failed EACCES and the
   * connection ended as if its peer were gone. A wake only says "look at your queues", so a
   * forged one costs a drain, nothing more.
   */
  letOthersWake(): void {
    if (this.#othersMayWake) return;
    msgSetMode(this.queueId, 0o622);
    this.#othersMayWake = true;
  }

  #othersMayWake = false;

  /** Hands an endpoint number to another target (a pending connect becoming its connection). */
  retarget(endpoint: number, target: WakeTarget): void {
    if (this.#targets.has(endpoint)) this.#targets.set(endpoint, target);
  }

  /** Removes a target; the last one out closes the waker (removing its queue). */
  unregister(endpoint: number): void {
    this.#targets.delete(endpoint);
    if (this.#targets.size === 0) this.#close();
  }

  /**
   * Posts a wake (`text` starts with the kind byte) to `endpoint` on `queue`, never blocking.
   * A full target queue queues the post for a retry; identical pending posts are merged.
   */
  post(queue: number, endpoint: number, text: Uint8Array): PostResult {
    if (this.#closed) return 'gone';
    const r = this.#send(queue, endpoint, text);
    if (r === 0) return 'sent';
    if (r === -Errno.EAGAIN || r === -Errno.EINTR) {
      this.#retries.set(`${queue}:${endpoint}:${Buffer.from(text).toString('latin1')}`, { queue, endpoint, text: Uint8Array.from(text) });
      this.#armRetry();
      return 'queued';
    }
    return 'gone'; // EIDRM / EINVAL: the target process removed its queue (it is gone or closing)
  }

  #send(queue: number, endpoint: number, text: Uint8Array): number {
    const buf = this.#postBuf;
    buf.type = endpoint;
    buf.text.set(text);
    return msgSend(queue, buf, text.length, IPC_NOWAIT);
  }

  #armRetry(): void {
    if (this.#retryTimer || this.#closed) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      for (const [k, p] of this.#retries) {
        const r = this.#send(p.queue, p.endpoint, p.text);
        if (r === -Errno.EAGAIN || r === -Errno.EINTR) continue;
        this.#retries.delete(k);
      }
      if (this.#retries.size > 0) this.#armRetry();
      else this.#retry.reset();
    }, this.#retry.next());
  }

  #park(): void {
    msgReceiveAsync(this.queueId, this.#parkBuf, 0, 0, (n) => {
      if (this.#closed) return;
      if (n === -Errno.EINTR) {
        this.#park();
        return;
      }
      if (n < 0) {
        // EIDRM / EINVAL: someone removed our queue (only we should). Nothing can wake us now.
        this.#fail(n);
        return;
      }
      this.#dispatch(this.#parkBuf, n);
      this.#drain();
      if (!this.#closed) this.#park();
    });
  }

  /** Non-blocking receives until ENOMSG, then one `afterWakes` per touched target. */
  #drain(): void {
    const buf = this.#drainBuf;
    for (;;) {
      if (this.#closed) break;
      const n = msgReceive(this.queueId, buf, 0, IPC_NOWAIT);
      if (n < 0) {
        if (n === -Errno.EINTR) continue;
        if (n !== -Errno.ENOMSG) this.#fail(n);
        break;
      }
      this.#dispatch(buf, n);
    }
    for (const t of this.#touched) {
      this.#touched.delete(t);
      t.afterWakes();
    }
  }

  #dispatch(buf: MsgBuffer, n: number): void {
    const target = this.#targets.get(buf.type);
    if (target === undefined || n < 1) {
      // A late wake for an endpoint that left; some carry objects that would otherwise leak.
      if (n >= 1) this.onOrphan?.(buf.text.subarray(0, n));
      return;
    }
    target.onWake(buf.text.subarray(0, n));
    this.#touched.add(target);
  }

  #fail(result: number): void {
    // Our wake queue was removed behind our back: recreate nothing, tell everyone by closing.
    process.emitWarning(`unibus sysvmq: wake queue ${this.queueId} failed (errno=${-result}); endpoints fall back to timers`);
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retries.clear();
    process.off('exit', this.#onExit);
    // IPC_RMID ends the parked msgrcv with EIDRM: the pool thread is free and the process can exit.
    msgRemove(this.queueId);
    this.#onClose();
  }
}

let current: Waker | undefined;

/**
 * The process's waker, created on first use. This is the one piece of module state in the
 * transport, and it is there on purpose: "at most one parked pool thread per process" is a
 * per-process rule. It holds no configuration.
 */
export function acquireWaker(): Waker {
  if (current === undefined) {
    const w: Waker = new Waker(() => { if (current === w) current = undefined; });
    current = w;
  }
  return current;
}
