/**
 * How a shm connection notices its peer is gone: the peer's pid (a pidfd, or polling where there
 * is none: ./os.ts), and, with `peerTimeout`, its heartbeat word in the segment header standing
 * still (a peer alive but hung, or whose pid was reused). Each side bumps its own word once a
 * second either way, so the other may watch it.
 * @module
 */
import { Header } from './layout.js';
import { watchPid } from './os.js';

/** Heartbeat period (ms): each side bumps its word, the other may watch it (`peerTimeout`). */
const HEARTBEAT_MS = 1000;

export class PeerWatch {
  readonly #watcher: { close(): void };
  readonly #heartbeat: NodeJS.Timeout;
  #peerBeat = -1;
  #peerBeatSince = 0;
  #closed = false;

  /**
   * Starts watching: `gone` is called when the peer's process exits, or (with `peerTimeout` > 0
   * ms) when its heartbeat stood still that long. `i32` views the segment (its header).
   */
  constructor(i32: Int32Array, side: 'hub' | 'client', peerPid: number, peerTimeout: number, gone: () => void) {
    this.#watcher = watchPid(peerPid, gone);
    const myBeat = (side === 'client' ? Header.clientHeartbeat : Header.hubHeartbeat) >>> 2;
    const peerBeat = (side === 'client' ? Header.hubHeartbeat : Header.clientHeartbeat) >>> 2;
    this.#heartbeat = setInterval(() => {
      if (this.#closed) return;
      Atomics.add(i32, myBeat, 1);
      if (peerTimeout > 0 && this.#stoodStill(Atomics.load(i32, peerBeat), peerTimeout)) gone();
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /** True once the peer's beat has not moved for longer than `timeout` ms. */
  #stoodStill(beat: number, timeout: number): boolean {
    const now = Date.now();
    if (beat !== this.#peerBeat) {
      this.#peerBeat = beat;
      this.#peerBeatSince = now;
      return false;
    }
    return now - this.#peerBeatSince > timeout;
  }

  /** Stops both watches (before the segment's memory is released). */
  close(): void {
    this.#closed = true;
    this.#watcher.close();
    clearInterval(this.#heartbeat);
  }
}
