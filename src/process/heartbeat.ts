/**
 * The child side of supervision: a heartbeat is one byte written to an fd the supervisor handed
 * down (its number is in `UNIBUS_HEARTBEAT_FD`). Bytes on an fd, not signals: they never coalesce,
 * never queue behind bus data, and any language can send them (`printf . >&$UNIBUS_HEARTBEAT_FD`
 * in a shell, `write(fd, ".", 1)` in C).
 *
 * The same fd tells the child when its supervisor is gone: the supervisor never writes to it, so
 * a read sees EOF (and a write fails with EPIPE) only once the supervisor has died. By default the
 * child then sends SIGTERM to its process group (which it leads), so its own graceful shutdown
 * runs and nothing it started is orphaned.
 *
 * @example
 * ```ts
 * import { heartbeat } from 'unibus';
 * const beat = heartbeat();          // no-op (undefined) when not started by a supervisor
 * // ... do the work; the timer keeps beating while the event loop turns
 * beat?.stop();
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { setCloseOnExec } from '../native/fds.js';

/** Env var naming the inherited heartbeat fd. */
export const HEARTBEAT_FD_ENV = 'UNIBUS_HEARTBEAT_FD';
/** Env var with the supervisor's heartbeat interval in milliseconds. */
export const HEARTBEAT_INTERVAL_ENV = 'UNIBUS_HEARTBEAT_INTERVAL_MS';

/** Options of {@link heartbeat}. */
export interface HeartbeatOptions {
  /** The fd to beat on (default: from `UNIBUS_HEARTBEAT_FD`). */
  fd?: number;
  /** Milliseconds between beats (default: half of `UNIBUS_HEARTBEAT_INTERVAL_MS`, else 500). */
  interval?: number;
  /**
   * What to do when the supervisor is gone (EOF or EPIPE on the fd): `'terminate'` (default)
   * sends SIGTERM to this process's group if it leads one, else to this process; `'ignore'` only stops beating; a function is called instead.
   */
  onSupervisorGone?: 'terminate' | 'ignore' | (() => void);
}

/** A running heartbeat. */
export interface Heartbeat {
  readonly fd: number;
  readonly interval: number;
  /** Sends one beat now (e.g. from a long synchronous job's progress points). */
  beat(): void;
  /** Stops beating and releases the fd; the supervisor will see this child as hung. */
  stop(): void;
}

/** The heartbeat of this process, if one runs (process-wide, like the fd it writes to). */
let running: Heartbeat | undefined;

/**
 * Starts beating on the supervisor's fd, or returns the heartbeat already running in this
 * process. Returns undefined when this process was not started by a supervisor (no
 * `UNIBUS_HEARTBEAT_FD`). Removes the env var so that processes this one
 * starts do not beat on its behalf. The timer and the fd keep nothing alive: a child exits when
 * its work is done, heartbeat or not.
 */
export function heartbeat(options: HeartbeatOptions = {}): Heartbeat | undefined {
  // One heartbeat per process: the fd is a process-wide resource, and a child whose heartbeat was
  // started for it (NODE_OPTIONS --import, see heartbeat-auto.ts) gets that one back.
  if (running) return running;
  const fd = options.fd ?? parseFd(process.env[HEARTBEAT_FD_ENV]);
  if (fd === undefined) return undefined;
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`Invalid heartbeat fd: fd=${fd}`);
  const supervisorInterval = Number(process.env[HEARTBEAT_INTERVAL_ENV]);
  const interval = options.interval
    ?? (supervisorInterval > 0 ? Math.max(10, Math.floor(supervisorInterval / 2)) : 500);
  if (!(interval > 0)) throw new RangeError(`Invalid heartbeat interval: interval=${interval}`);
  delete process.env[HEARTBEAT_FD_ENV];
  delete process.env[HEARTBEAT_INTERVAL_ENV];
  // The fd was inherited without FD_CLOEXEC (it had to be); set it now so that programs this one
  // starts do not hold the supervisor's socket. Best effort: without koffi the env var is gone
  // anyway, so a grandchild never beats on our behalf.
  try {
    setCloseOnExec(fd, true);
  } catch { /* native layer unavailable */ }

  const socket = new Socket({ fd, readable: true, writable: true });
  socket.unref();
  const byte = Buffer.from('.');
  let stopped = false;
  const gone = (): void => {
    if (stopped) return;
    stop();
    const action = options.onSupervisorGone ?? 'terminate';
    if (typeof action === 'function') action();
    else if (action === 'terminate') terminateSelf();
  };
  // Writes never wait: a beat that cannot be written at once is a beat the supervisor will
  // miss anyway, and the socket buffer (hundreds of KiB) only fills if the supervisor stops reading.
  const beat = (): void => {
    if (!stopped && socket.writableLength === 0) socket.write(byte);
  };
  const timer = setInterval(beat, interval);
  timer.unref();
  socket.on('data', () => { /* the supervisor writes nothing; data is ignored */ });
  socket.on('end', gone);
  socket.on('error', gone);
  function stop(): void {
    if (stopped) return;
    stopped = true;
    if (running === started) running = undefined;
    clearInterval(timer);
    socket.destroy();
  }
  const started: Heartbeat = { fd, interval, beat, stop };
  running = started;
  beat();
  return started;
}

/**
 * SIGTERM to this process's group when it leads one (a supervised child does: the supervisor
 * starts each child as a group leader), so what it started goes too; else to itself.
 */
function terminateSelf(): void {
  let pgrp = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch { /* no /proc: signal only this process */ }
  process.kill(pgrp === process.pid ? -process.pid : process.pid, 'SIGTERM');
}

function parseFd(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const fd = Number(text);
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`Invalid ${HEARTBEAT_FD_ENV}: value=${text}`);
  return fd;
}
