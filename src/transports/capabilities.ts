/**
 * Optional capabilities: what some connections and listeners offer beyond the core
 * (`Connection` in ./transport.ts), each as its own small interface with a type guard. A backend
 * implements a capability by having its members; callers and the conformance suites detect it
 * with the guard, never by scheme name. A backend that has none of them is complete.
 *
 * | Capability                 | Members                                     | Who has it            |
 * |----------------------------|---------------------------------------------|-----------------------|
 * | {@link InPlaceWriter}      | `reserveFrame`, `reservedBuffer`, `commitFrame` | stream sockets, shm |
 * | {@link FillReporter}       | `fill()`                                    | stream sockets, shm   |
 * | {@link PeerProver}         | `peerCredentials`                           | unix, pipe, memory    |
 * | {@link DurableHandBack}    | `takenBack`, `resumeWith`, `hubAlive`, `Closed.unsent` | file:// clients |
 * | {@link SpawningListener}   | `spawn` on a Listener                       | pipe: listeners       |
 * | {@link AdmissionReporter}  | `onAdmissionError` on a Listener            | shm, fifo, sysvmq listeners |
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { Closed, Connection, Listener, PeerCredentials } from './transport.js';

// ---- in-place writing --------------------------------------------------------------------------

/**
 * In-place writing, the fast path for encoders of small frames: the frame is encoded straight
 * into the connection's own buffer (a write batch, a ring) instead of being built and copied.
 * @example
 * ```ts
 * if (canWriteInPlace(conn)) {
 *   const at = conn.reserveFrame(bytes.length);
 *   if (at >= 0) { conn.reservedBuffer.set(bytes, at); conn.commitFrame(); }
 *   else conn.write(bytes);
 * } else conn.write(bytes);
 * ```
 */
export interface InPlaceWriter {
  /**
   * Reserves room for one frame of exactly `size` bytes and returns the offset in
   * `reservedBuffer` where its bytes go, or -1 when it cannot take this frame in place now (then
   * use `write()`). Between a reservation and `commitFrame()` nothing else may be written or
   * awaited. Throws `FrameTooLargeError` and `ClosedError` like `write()`.
   */
  reserveFrame(size: number): number;
  /** The buffer of the last successful `reserveFrame()`. */
  readonly reservedBuffer: Uint8Array;
  /** Sends the reserved frame; returns what `write()` would (false: `await drained()`). */
  commitFrame(): boolean;
}

/** True when `conn` can encode frames in place (`InPlaceWriter`). */
export function canWriteInPlace<C extends object>(conn: C): conn is C & InPlaceWriter {
  return typeof (conn as Partial<InPlaceWriter>).reserveFrame === 'function';
}

// ---- fill --------------------------------------------------------------------------------------

/** A connection that knows cheaply how full its outgoing medium is. */
export interface FillReporter {
  /**
   * 0 (empty) to 1 (full: `write()` returns false), e.g. a shm ring's unread bytes or a stream's
   * bytes not yet taken by the kernel. The hub reports it per peer in `$sys.stats`.
   */
  fill(): number;
}

/** True when `conn` reports how full its outgoing medium is (`FillReporter`). */
export function reportsFill<C extends object>(conn: C): conn is C & FillReporter {
  return typeof (conn as Partial<FillReporter>).fill === 'function';
}

// ---- proven peer identity ----------------------------------------------------------------------

/**
 * A connection that can prove who its peer is (by the kernel, or by the hub's own act): see
 * `PeerCredentials`. Where a transport knows only what the peer claims (fifo, sysvmq, shm,
 * file), it does not have this capability and `Connection.peer` is all there is.
 */
export interface PeerProver {
  /** The proven identity; undefined when this particular connection could not prove it. */
  readonly peerCredentials: PeerCredentials | undefined;
}

/** True when `conn` can prove its peer's identity (`PeerProver`). */
export function provesPeer<C extends object>(conn: C): conn is C & PeerProver {
  return 'peerCredentials' in conn;
}

/** The peer's proven identity, or undefined where it is not proven. */
export function provenPeer(conn: Connection): PeerCredentials | undefined {
  return provesPeer(conn) ? conn.peerCredentials : undefined;
}

// ---- durable hand-back -------------------------------------------------------------------------

/**
 * A durable client connection (`file://`): frames outlive processes, and a session can be
 * continued by a new hub or handed back to its owner when no hub will take it.
 * @example
 * ```ts
 * const conn = await transportFor(url).then((t) => t.connect(url, { handBackUnsent: true }));
 * if (handsBack(conn)) for (const f of conn.takenBack) conn.write(f);
 * const end = await conn.closed;
 * for (const f of unsentOf(end)) next.write(f); // on the next connection
 * ```
 */
export interface DurableHandBack {
  /**
   * Frames a dead earlier process of this client name accepted that no hub took and none will
   * (its session was declined), taken back when this connection opened. The owner sends them
   * again, as it does `Closed.unsent`.
   */
  readonly takenBack: readonly Uint8Array[];
  /**
   * The session's protocol state, as frames a new hub replays to continue this session after a
   * restart instead of ending it (a Bus gives its HELLO and current subscriptions). Call it
   * first right after writing the HELLO, then after each change; `state` is read lazily,
   * before the next frames are stored.
   */
  resumeWith(state: () => readonly Uint8Array[]): void;
  /** True while a hub process is alive on the medium, though it may not have read this connection yet. */
  hubAlive(): boolean;
}

/** True when `conn` is a durable client connection (`DurableHandBack`). */
export function handsBack<C extends object>(conn: C): conn is C & DurableHandBack {
  return typeof (conn as Partial<DurableHandBack>).resumeWith === 'function';
}

/**
 * How a durable connection ended: besides `Closed`, the frames this side accepted that the peer
 * never took and never will, handed back when the session ended (a new hub declined to continue
 * a session an earlier hub served; `file://` clients opened with `handBackUnsent: true`).
 */
export interface ClosedWithUnsent extends Closed {
  readonly unsent: readonly Uint8Array[];
}

/** The frames handed back by the end of a durable session (`ClosedWithUnsent`), or none. */
export function unsentOf(closed: Closed): readonly Uint8Array[] {
  return (closed as Partial<ClosedWithUnsent>).unsent ?? [];
}

// ---- admission reports -------------------------------------------------------------------------

/**
 * A listener that admits each client by work of its own (opening the client's segment, FIFOs or
 * queues) and can fail at it for one client: the hub is out of file descriptors or memory, or
 * what the client announced is not what it should be. It refuses that client and reports why
 * here, so the hub's bus says so (an `error` event) instead of the client timing out with
 * nothing said anywhere. Reports are rate-limited by the listener (./shared/admission.ts).
 * @example
 * ```ts
 * if (reportsAdmission(listener)) listener.onAdmissionError((err) => console.error(err.message));
 * ```
 */
export interface AdmissionReporter extends Listener {
  /** Sets the one function that hears every admission failure from now on. */
  onAdmissionError(report: (err: Error) => void): void;
}

/** True when `listener` reports the clients it failed to admit (`AdmissionReporter`). */
export function reportsAdmission<L extends object>(listener: L): listener is L & AdmissionReporter {
  return typeof (listener as Partial<AdmissionReporter>).onAdmissionError === 'function';
}

// ---- spawning listener -------------------------------------------------------------------------

/**
 * A listener that starts its clients (`pipe:`, `capabilities.spawnsClients`): each child is
 * connected to it on inherited descriptors.
 * @example
 * ```ts
 * if (canSpawn(listener)) listener.spawn(process.execPath, ['worker.js']);
 * ```
 */
export interface SpawningListener extends Listener {
  /** Starts a child process connected to this listener. */
  spawn(command: string, args?: readonly string[], options?: SpawnClientOptions): SpawnedClient;
}

/** True when `listener` starts its clients (`SpawningListener`). */
export function canSpawn<L extends object>(listener: L): listener is L & SpawningListener {
  return typeof (listener as Partial<SpawningListener>).spawn === 'function';
}

/**
 * One descriptor of a spawned child, in `child_process.spawn`'s stdio form: `'pipe'` (a
 * socketpair; this process's end is `child.stdio[fd]`), `'ignore'`, `'inherit'`, or an fd of
 * this process that the child gets a copy of.
 */
export type SpawnStdio = 'pipe' | 'ignore' | 'inherit' | number;

/** Options for `SpawningListener.spawn`. */
export interface SpawnClientOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * The child's fds 0, 1 and 2: `'inherit'` (default: stdin ignored, stdout and stderr
   * inherited), `'pipe'`, `'ignore'`, or one entry per fd.
   */
  stdio?: 'inherit' | 'pipe' | 'ignore' | readonly [SpawnStdio, SpawnStdio, SpawnStdio];
  /**
   * Starts the child as the leader of a new session and process group (pgid = its pid), like
   * `child_process.spawn`'s `detached`: `process.kill(-pid, sig)` reaches everything it starts,
   * and a terminal's Ctrl-C reaches only this process. Default false.
   */
  detached?: boolean;
  /**
   * More fds for the child, numbered right after the transport's own (for `pipe:` from 5 on,
   * `PIPE_EXTRA_FD`); `SpawnedClient.extraFds` lists them. E.g. `['pipe']` for a heartbeat channel.
   */
  extraStdio?: readonly SpawnStdio[];
}

/** A child started by `SpawningListener.spawn`. */
export interface SpawnedClient {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) when the child has exited. */
  readonly exited: Promise<number | string>;
  /** The child's fd numbers of `extraStdio`, in order (`child.stdio[fd]` for a `'pipe'`). */
  readonly extraFds: readonly number[];
}
