/**
 * Noticing that a peer process is gone: the one place the sysvmq transport asks. Kernel queues
 * give no EOF, so a peer's death is seen through a pidfd that libuv watches (no thread parked;
 * src/native/process.ts falls back to `kill(pid, 0)` on a timer on kernels without pidfds).
 * @module
 */
import { isAlive, watchPid } from '../../native/process.js';

/** True while a process with this pid exists (a hint only: pids are reused). */
export function pidAlive(pid: number): boolean {
  return isAlive(pid);
}

export interface PeerWatch {
  close(): void;
}

/** Calls `onGone` once when process `pid` exits. Does not keep the process alive. */
export function watchPeer(pid: number, onGone: () => void): PeerWatch {
  return watchPid(pid, onGone).unref();
}
