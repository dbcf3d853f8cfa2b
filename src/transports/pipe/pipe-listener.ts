/**
 * The hub side of `pipe:`: every `spawn()` makes two pipes with `pipe2(O_CLOEXEC)`, hands the
 * child its ends as fds 3 (read) and 4 (write), and keeps the other two, non-blocking, as one
 * Connection. O_NONBLOCK is set only on the hub's own ends: each end of a pipe is its own open
 * file description, so the child's ends stay blocking as any program expects. The hub closes
 * its copies of the child's ends at once, so the child's exit shows as EOF. Extra fds a caller
 * asks for (`extraStdio`, e.g. a supervisor's heartbeat socket) follow as fds 5, 6, …; with
 * `detached` the child leads its own process group.
 * @module
 */
import { spawn as spawnProcess, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fdSocket } from '../../native/fd-socket.js';
import { closeFd, pipe, setNonBlocking, setPipeSize } from '../../native/fds.js';
import { AcceptQueue } from '../shared/accept-queue.js';
import { StreamConnection } from '../stream-connection.js';
import type { Connection } from '../transport.js';
import type { SpawnClientOptions, SpawnedClient, SpawningListener, SpawnStdio } from '../capabilities.js';
import { CHILD_READ_FD, CHILD_WRITE_FD, PIPE_EXTRA_FD, PIPE_FDS_ENV, formatPipeFds } from './pipe-env.js';
import { ClosedError } from '../../errors.js';
import { signalChild } from '../../process/signal-child.js';

/** After `close()`, children get this long to exit on their EOF before SIGTERM (then SIGKILL). */
const CHILD_GRACE_MS = 3000;

export interface PipeListenerOptions {
  maxFrameSize: number;
  pipeSize: number;
  /** Grace period for children after `close()` (ms). */
  childGrace?: number;
}

const STDIO_KINDS = ['pipe', 'ignore', 'inherit'];

function checkStdio(entry: unknown, field: string): SpawnStdio {
  if ((typeof entry === 'string' && STDIO_KINDS.includes(entry)) || (Number.isInteger(entry) && (entry as number) >= 0)) {
    return entry as SpawnStdio;
  }
  throw new TypeError(`Invalid spawn option: ${field} must be 'pipe', 'ignore', 'inherit' or an fd: ${field}=${String(entry)}`);
}

/** The child's whole fd table: 0-2, then the bus pipe ends (3, 4), then the extras (5, …). */
function stdioFor(options: SpawnClientOptions, read: number, write: number): StdioOptions {
  const kind = options.stdio ?? 'inherit';
  let three: SpawnStdio[];
  if (Array.isArray(kind)) {
    if (kind.length !== 3) throw new TypeError(`Invalid spawn option: stdio must have 3 entries (fds 0, 1, 2): length=${kind.length}`);
    three = kind.map((e, i) => checkStdio(e, `stdio[${i}]`));
  } else if (kind === 'pipe' || kind === 'ignore') {
    three = [kind, kind, kind];
  } else if (kind === 'inherit') {
    three = ['ignore', 'inherit', 'inherit'];
  } else {
    throw new TypeError(`Invalid spawn option: stdio must be 'inherit', 'pipe', 'ignore' or 3 entries: stdio=${String(kind)}`);
  }
  const extra = options.extraStdio ?? [];
  if (!Array.isArray(extra)) throw new TypeError('Invalid spawn option: extraStdio must be an array');
  // The array index is the fd number in the child.
  const stdio: SpawnStdio[] = [...three];
  stdio[CHILD_READ_FD] = read;
  stdio[CHILD_WRITE_FD] = write;
  extra.forEach((e, i) => { stdio[PIPE_EXTRA_FD + i] = checkStdio(e, `extraStdio[${i}]`); });
  return stdio as StdioOptions;
}

function exitOf(child: ChildProcess): Promise<number | string> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    if (child.signalCode !== null) return resolve(child.signalCode);
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    // A child that could not start (ENOENT, EACCES) emits only 'error'.
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });
}

export class PipeListener implements SpawningListener {
  readonly url: string;
  readonly #options: PipeListenerOptions;
  readonly #accepted = new AcceptQueue();
  readonly #children = new Set<SpawnedClient>();
  /** Children started with `detached`: signalled as whole process groups. */
  readonly #leaders = new WeakSet<SpawnedClient>();
  #closing: Promise<void> | undefined;

  constructor(url: string, options: PipeListenerOptions) {
    this.url = url;
    this.#options = options;
  }

  /**
   * Starts `command` with `args` as a client of this hub: it calls `connect('pipe:')` (or reads
   * frames from fd 3 and writes frames to fd 4). Its connection appears in this listener's
   * iteration. A command that cannot start gives `exited` = its error code (e.g. `ENOENT`).
   * `options.extraStdio` adds fds 5, 6, … (`extraFds`); `options.detached` makes the child a
   * process-group leader (the hub's `close()` then signals its whole group).
   *
   * @example
   * ```ts
   * const hub = await pipeTransport.listen('pipe:');
   * const { exited } = hub.spawn(process.execPath, ['worker.js']);
   * // A child in its own process group with a socketpair on fd 5 (child.stdio[5] here):
   * const w = hub.spawn('sh', ['-c', 'printf . >&5'], { detached: true, extraStdio: ['pipe'] });
   * for await (const conn of hub) serve(conn);
   * ```
   */
  spawn(command: string, args: readonly string[] = [], options: SpawnClientOptions = {}): SpawnedClient {
    if (this.#closing) throw new ClosedError('pipe: listener');
    if (typeof command !== 'string' || command === '') throw new TypeError('command must be a non-empty string');
    // Checked before any pipe exists, so a bad option leaks nothing.
    stdioFor(options, -1, -1);
    const [childRead, hubWrite] = pipe();
    let hubRead = -1;
    let childWrite = -1;
    let child: ChildProcess;
    try {
      [hubRead, childWrite] = pipe();
      try {
        setPipeSize(hubWrite, this.#options.pipeSize);
        setPipeSize(hubRead, this.#options.pipeSize);
      } catch {
        // EPERM above /proc/sys/fs/pipe-max-size: the default 64 KiB still works.
      }
      setNonBlocking(hubRead, true);
      setNonBlocking(hubWrite, true);
      child = spawnProcess(command, [...args], {
        cwd: options.cwd,
        env: { ...process.env, ...options.env, [PIPE_FDS_ENV]: formatPipeFds() },
        stdio: stdioFor(options, childRead, childWrite),
        detached: options.detached === true,
      });
    } catch (err) {
      closeFd(hubWrite);
      if (hubRead >= 0) closeFd(hubRead);
      throw err;
    } finally {
      // The child has its copies now (or never will): without this close, EOF never comes.
      if (childRead >= 0) closeFd(childRead);
      if (childWrite >= 0) closeFd(childWrite);
    }
    const extraFds = (options.extraStdio ?? []).map((_, i) => PIPE_EXTRA_FD + i);
    const spawned: SpawnedClient = { pid: child.pid ?? -1, child, exited: exitOf(child), extraFds };
    if (options.detached === true) this.#leaders.add(spawned);
    this.#children.add(spawned);
    void spawned.exited.then(() => this.#children.delete(spawned));
    const input = fdSocket(hubRead, 'read');
    const output = fdSocket(hubWrite, 'write');
    const conn = new StreamConnection(input, output, {
      maxFrameSize: this.#options.maxFrameSize,
      peer: { pid: spawned.pid },
      peerProvenBy: 'spawn',
    });
    // A child that never started has no writer: its connection ends at once with EOF.
    this.#accepted.push(conn);
    return spawned;
  }

  /** Children still running. */
  get children(): readonly SpawnedClient[] {
    return [...this.#children];
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  /**
   * Closes every connection (children see EOF), then gives children a grace period to exit,
   * then SIGTERM, then SIGKILL: the hub never leaves its children behind.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#accepted.end();
      await this.#accepted.closeAll();
      const grace = this.#options.childGrace ?? CHILD_GRACE_MS;
      await this.#endChildren(grace);
    })();
    return this.#closing;
  }

  async #endChildren(grace: number): Promise<void> {
    const waitAll = (ms: number): Promise<boolean> => {
      const left = [...this.#children];
      if (left.length === 0) return Promise.resolve(true);
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        Promise.all(left.map((c) => c.exited)).then(() => true),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); }),
      ]).finally(() => clearTimeout(timer));
    };
    if (await waitAll(grace)) return;
    for (const c of this.#children) this.#signal(c, 'SIGTERM');
    if (await waitAll(grace)) return;
    for (const c of this.#children) this.#signal(c, 'SIGKILL');
    await waitAll(grace);
  }

  /** A group leader's group gets the signal (its pgid is valid: it has not exited yet). */
  #signal(c: SpawnedClient, signal: NodeJS.Signals): void {
    if (!this.#leaders.has(c) || c.pid <= 0) {
      signalChild(c.child, signal);
      return;
    }
    try {
      process.kill(-c.pid, signal);
    } catch {
      signalChild(c.child, signal);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
