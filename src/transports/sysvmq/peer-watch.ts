/**
 * Noticing that a peer process is gone: the one place the sysvmq transport asks. Kernel queues
 * give no EOF, so a peer's death is seen through its pid.
 *
 * For now this is `kill(pid, 0)` on a timer (Node's own `process.kill`, no native code); when
 * src/native/process.ts (pidfd, watched by libuv) is on main, `watchPeer` switches to it here.
 * A pid is only a hint (pids are reused); it is used only for peers that announced themselves.
 * @module
 */

/** How often a peer's pid is checked. */
const CHECK_MS = 200;

/** True while a process with this pid exists (EPERM: it exists but is someone else's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

export interface PeerWatch {
  close(): void;
}

/** Calls `onGone` once when process `pid` no longer exists. Does not keep the process alive. */
export function watchPeer(pid: number, onGone: () => void): PeerWatch {
  const timer = setInterval(() => {
    if (pidAlive(pid)) return;
    clearInterval(timer);
    onGone();
  }, CHECK_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
