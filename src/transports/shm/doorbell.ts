/**
 * Doorbells: FIFOs that wake a parked side. The sleeper makes its FIFO and opens it O_RDWR (so it
 * never sees EOF or a hang-up spin) and libuv watches it through `net.Socket({ fd })`: no thread
 * is parked. The other side opens it write-only, non-blocking, and rings with one byte. A full
 * FIFO (EAGAIN) already holds a wake-up; a vanished reader (EPIPE) is the peer watcher's business.
 * Both ends are unlinked as soon as both are open, so a crash leaves no FIFO behind.
 * @module
 */
import { unlinkSync } from 'node:fs';
import type { Socket } from 'node:net';
import { PermissionDeniedError } from '../../errors.js';
import { fdSocket } from '../../native/fd-socket.js';
import { closeFd, O, openFd, statFd, writeFd } from '../../native/fds.js';
import { makeFifo } from './os.js';

const ONE = new Uint8Array([1]);

/** The sleeping end: calls its handler (on the event loop) whenever the bell was rung. */
export class Doorbell {
  readonly path: string;
  readonly #socket: Socket;
  /** Who wakes up; replaced when a connection takes over the bell its rendezvous made. */
  onRing: () => void;

  /** Makes the FIFO at `path` (EEXIST if anything is there) and starts watching it. */
  constructor(path: string, mode: number, onRing: () => void) {
    this.onRing = onRing;
    this.path = path;
    makeFifo(path, mode);
    let fd: number;
    try {
      fd = openFd(path, O.RDWR | O.NONBLOCK | O.NOFOLLOW);
    } catch (err) {
      unlinkQuietly(path);
      throw err;
    }
    this.#socket = fdSocket(fd, 'read');
    // The bytes carry no data: any arrival means "look at the rings".
    this.#socket.on('data', () => this.onRing());
    this.#socket.on('error', () => undefined);
  }

  /** Lets the process exit while only this bell is watched (the hub's announce bell stays ref'd). */
  unref(): void {
    this.#socket.unref();
  }

  /** Removes the FIFO's name (the open ends keep working). */
  unlink(): void {
    unlinkQuietly(this.path);
  }

  /** Stops watching and closes the fd. Idempotent. */
  close(): void {
    this.#socket.destroy();
  }
}

/** The ringing end: a write-only, non-blocking fd on the peer's FIFO. */
export class BellRope {
  #fd: number;

  /** Opens `path` write-only; refuses anything but a FIFO owned by `uid`. */
  constructor(path: string, uid: number | undefined) {
    const fd = openFd(path, O.WRONLY | O.NONBLOCK | O.NOFOLLOW);
    const st = statFd(fd);
    if (!st.isFIFO() || (uid !== undefined && st.uid !== uid)) {
      closeFd(fd);
      throw new PermissionDeniedError(`doorbell is not a FIFO owned by uid=${uid}: path=${path} owner=${st.uid}`);
    }
    this.#fd = fd;
  }

  /** One byte into the FIFO. Never throws: a full FIFO already wakes the peer, a gone peer is noticed elsewhere. */
  ring(): void {
    if (this.#fd < 0) return;
    try {
      writeFd(this.#fd, ONE); // WOULD_BLOCK (full FIFO): a wake-up is already pending
    } catch {
      // EAGAIN: a wake-up is already pending. EPIPE: the peer is gone (its watcher reports it).
    }
  }

  close(): void {
    if (this.#fd < 0) return;
    closeFd(this.#fd);
    this.#fd = -1;
  }
}

/** unlink that ignores a missing file. */
export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
