/**
 * A libuv readiness poll of an fd through koffi (`koffi.node.poll`), safe on every runtime that
 * has `fd-poll`. The watchers (poll.ts, process.ts) use it instead of koffi's handle directly.
 *
 * On Node this is koffi's handle as is: level-triggered, and `close()` frees it at once.
 * Deno emulates `uv_poll` differently, and two things follow from it:
 * - It is one-shot: a helper thread polls the fd and queues ONE callback to the main loop, then
 *   ends. The handle is re-armed after each callback, so callers keep level-triggered events.
 * - `uv_close()` frees the handle at once, even when the helper thread has already queued its
 *   callback: that callback then ran on freed memory (a segfault in koffi, seen when a peer's
 *   pidfd became readable while its connection was being closed). So on Deno `close()` only
 *   stops the handle; it is freed when the queued callback arrives, or else after two timer
 *   turns a few seconds apart (by then anything queued before the stop has run).
 *
 * @example
 * ```ts
 * const p = pollFd(fd, { readable: true }, () => readFd(fd, buf));
 * p.close(); // before closing fd
 * ```
 * @module
 */
import { native } from './loader.js';
import { runtimeName } from './runtime.js';

/** The events to wait for, as koffi names them. */
export interface PollEvents {
  readonly readable?: boolean;
  readonly disconnect?: boolean;
}

/** A running poll: `close()` it (idempotent) before closing its fd. */
export interface FdPoll {
  close(): void;
  ref(): void;
  unref(): void;
}

interface KoffiPoll {
  start(events: PollEvents, cb: () => void): void;
  stop(): void;
  close(): void;
  ref(): void;
  unref(): void;
}

/** Time between the two timer turns that free a stopped Deno handle whose callback never came. */
const QUARANTINE_TURN_MS = 2500;
/** Stopped Deno handles waiting to be freed (held so the garbage collector does not free them). */
const quarantined = new Set<DenoPoll>();

/** Starts polling `fd`; `onEvent` runs on the main loop each time the fd is ready, until closed. */
export function pollFd(fd: number, events: PollEvents, onEvent: () => void): FdPoll {
  if (runtimeName() === 'deno') return new DenoPoll(fd, events, onEvent);
  return native().koffi.node.poll(fd, events, () => onEvent()) as KoffiPoll;
}

class DenoPoll implements FdPoll {
  readonly #events: PollEvents;
  readonly #handle: KoffiPoll;
  #onEvent: (() => void) | undefined;
  #freed = false;
  #firing = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(fd: number, events: PollEvents, onEvent: () => void) {
    this.#events = events;
    this.#onEvent = onEvent;
    this.#handle = native().koffi.node.poll(fd, events, this.#fired) as KoffiPoll;
  }

  /** The helper thread's one callback: nothing else is queued for this handle now. */
  readonly #fired = (): void => {
    if (this.#onEvent !== undefined) {
      this.#firing = true;
      try {
        this.#onEvent();
      } finally {
        this.#firing = false;
        // Re-armed (a new helper thread, a new single callback) unless the callback closed us.
        if (this.#onEvent !== undefined) this.#handle.start(this.#events, this.#fired);
        else this.#free();
      }
      return;
    }
    this.#free(); // the callback queued before close(): the handle is free to go
  };

  close(): void {
    if (this.#onEvent === undefined) return;
    this.#onEvent = undefined;
    if (this.#firing) return; // closed from its own callback: freed when that returns
    this.#handle.stop(); // the helper thread ends; no longer keeps the loop alive
    quarantined.add(this);
    this.#timer = setTimeout(() => {
      this.#timer = setTimeout(() => this.#free(), QUARANTINE_TURN_MS).unref();
    }, QUARANTINE_TURN_MS).unref();
  }

  #free(): void {
    if (this.#freed) return;
    this.#freed = true;
    clearTimeout(this.#timer);
    quarantined.delete(this);
    this.#handle.close();
  }

  ref(): void {
    this.#handle.ref();
  }

  unref(): void {
    this.#handle.unref();
  }
}
