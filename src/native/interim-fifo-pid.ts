/**
 * INTERIM: `mkfifo` and a pid watcher for the shm transport until src/native/fds.ts and
 * src/native/process.ts (pidfd) land on main; src/transports/shm/os.ts is the only importer,
 * so switching is a one-file change and this file is then deleted.
 * @module
 */
import { native } from './loader.js';
import { lastError } from './errno.js';

let mk: ((path: string, mode: number) => number) | undefined;

/** Makes a FIFO at `path` (EEXIST if anything is there). */
export function mkfifo(path: string, mode = 0o600): void {
  mk ??= native().libc.func('int mkfifo(const char *path, uint32_t mode)') as (p: string, m: number) => number;
  if (mk(path, mode) < 0) throw lastError('mkfifo', path);
}

/** Polls `kill(pid, 0)` every 250 ms; calls `onExit` once when the process is gone. */
export function watchPid(pid: number, onExit: () => void): { close(): void; unref(): unknown } {
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') return;
      clearInterval(timer);
      onExit();
    }
  }, 250);
  return { close: () => clearInterval(timer), unref: () => timer.unref() };
}
