/**
 * Readiness of an fd, watched by libuv (epoll): waiting parks no thread. Used for short waits on
 * fds that are not yet handed to a `net.Socket` (FIFO handshakes, doorbells).
 *
 * @example
 * ```ts
 * const w = watchReadable(fd, () => { w.close(); readFd(fd, buf); });
 * ```
 * @module
 */
import { pollFd, type FdPoll } from './fd-poll.js';
import { requireRuntimeFeature } from './runtime.js';

/**
 * koffi's poll handle stops silently when garbage-collected, so every live watcher is held here
 * until closed (this set holds no configuration).
 */
const active = new Set<ReadableWatcher>();

/** Calls `onReadable` each time `fd` is readable or hung up (level-triggered) until closed. */
export class ReadableWatcher {
  #handle: FdPoll | undefined;

  constructor(fd: number, onReadable: () => void) {
    requireRuntimeFeature('fd-poll');
    this.#handle = pollFd(fd, { readable: true, disconnect: true }, onReadable);
    active.add(this);
  }

  /** Lets the process exit while only this watcher is pending. */
  unref(): this {
    this.#handle?.unref();
    return this;
  }

  /** Stops watching (before the fd is closed). Idempotent. */
  close(): void {
    if (!this.#handle) return;
    this.#handle.close();
    this.#handle = undefined;
    active.delete(this);
  }
}

/** Watches `fd` for readability without parking a thread. Close the watcher before the fd. */
export function watchReadable(fd: number, onReadable: () => void): ReadableWatcher {
  return new ReadableWatcher(fd, onReadable);
}
