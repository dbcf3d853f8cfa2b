/**
 * The Transport contract: bytes-only, message boundaries kept, one Connection per peer.
 *
 * A transport is registered under a URL scheme (see `registry.ts`) and offers
 * `listen(url, options)` (the hub side, which owns and finally removes every kernel object it
 * made) and `connect(url, options)` (a client). Everything above this file (the bus protocol,
 * codecs, topics) is the same for every transport.
 *
 * Guarantees every local transport gives (and the Transport conformance suite checks):
 * - **Boundaries kept**: each `send()` arrives as exactly one frame of the same bytes, whatever
 *   the medium's unit (frames larger than a queue message or a ring are split and reassembled).
 * - **Per-connection FIFO**: frames arrive in the order they were accepted.
 * - **Nothing lost while both ends live**; `send()` waits while the medium is full, it never
 *   drops and never queues without bound.
 * - **A peer gone is not its data gone**: frames a peer committed before it exited (even by
 *   SIGKILL right after `send()` resolved) are still delivered before `closed` resolves.
 * - **Frames up to `maxFrameSize`**; a larger frame is refused with `FrameTooLargeError` before
 *   anything is written, and the connection stays usable.
 * - **Garbage closes one connection**: bytes that break the framing close that connection with
 *   reason `protocol`; the listener and other connections go on.
 * - **A dead or stopped peer never stops traffic between the others**.
 * - **`close()` wakes every wait** (sends, receives, accepts) and releases every fd, kernel
 *   object and timer, so the process can then exit on its own.
 * - **Received frames are owned by the receiver**: a transport never reuses or unmaps the memory
 *   of a frame it delivered. Frames passed to `send()` must not be changed until it resolves.
 * @module
 */
import type { RuntimeFeature } from '../native/runtime.js';

/** Why a connection ended. */
export type CloseReason =
  /** This side called `close()`, or the peer closed after sending everything. */
  | 'clean'
  /** The peer exited or was killed; every frame it committed was delivered first. */
  | 'peer-gone'
  /** The peer sent bytes that break the framing or the protocol. */
  | 'protocol'
  /** The peer stalled past `maxStall` and was disconnected. */
  | 'slow-consumer'
  /** A local failure of the medium (a system call failed). */
  | 'error';

/** How a connection ended; `closed` resolves to this and never rejects. */
export interface Closed {
  readonly reason: CloseReason;
  readonly error?: Error;
  /**
   * Frames this side accepted that the peer never took and never will, handed back when the
   * session ended: a durable transport whose new hub does not continue a session an earlier
   * hub served (`file://` clients opened with `handBackUnsent: true`, as a Bus connects).
   * The owner sends them again on its next connection.
   */
  readonly unsent?: readonly Uint8Array[];
}

/** What the kernel tells about the other end, where it tells anything. */
export interface PeerInfo {
  readonly pid?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Who is on the other side of a connection as the kernel (or the hub's own act) proves it, never
 * what the peer claims about itself. `source` says how it is known:
 * - `SO_PEERCRED`: a Unix socket; the kernel recorded pid, uid and gid at connect time.
 * - `spawn`: `pipe:` on the hub side; the hub started the child, so it knows the pid.
 * - `parent`: `pipe:` on the child side; the hub is the parent process (`process.ppid`).
 * - `process`: `memory://`; the peer is this very process.
 * @example
 * ```ts
 * const cred = conn.peerCredentials;
 * if (cred?.uid !== undefined && cred.uid !== process.getuid?.()) refuse();
 * ```
 */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly source: 'SO_PEERCRED' | 'spawn' | 'parent' | 'process';
}

/** What a backend offers; the conformance suites choose tests by these, never by name. */
export interface Capabilities {
  /** Largest frame the backend accepts by default. */
  readonly maxFrameSize: number;
  /** Which peer credentials `Connection.peer` carries. */
  readonly peerIdentity: 'pid+uid' | 'pid' | 'none';
  /** Frames survive a restart of every process. */
  readonly durable: boolean;
  /** The death of a peer process (SIGKILL) is noticed and ends its connection. */
  readonly peerDeathEvents: boolean;
  /** Peers are separate processes (false for `memory://`). */
  readonly crossProcess: boolean;
  /** Clients are started by the hub (`pipe:`): `Listener.spawn` exists, `connect` has no URL target. */
  readonly spawnsClients: boolean;
}

/** A bidirectional, frame-preserving link to one peer. */
export interface Connection extends AsyncIterable<Uint8Array>, AsyncDisposable {
  /** Credentials of the peer where the kernel gives them. */
  readonly peer: PeerInfo;
  /**
   * The peer's identity only where it is proven (see `PeerCredentials`); undefined where the
   * transport knows nothing but what the peer claims (fifo, sysvmq, shm, file).
   */
  readonly peerCredentials?: PeerCredentials | undefined;
  /** Largest frame `send()` accepts on this connection. */
  readonly maxFrameSize: number;
  /** Resolves (never rejects) once the connection has ended and released everything. */
  readonly closed: Promise<Closed>;
  /**
   * Accepts one frame (given whole, or as chunks that are sent back to back as one frame).
   * Resolves when the frame is accepted; waits while the medium is full.
   * Rejects with `FrameTooLargeError` (nothing written) or `ClosedError` / `PeerGoneError`.
   */
  send(frame: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /**
   * The fast path of `send()`: accepts the frame at once and returns `true`, or `false` when the
   * medium is full: the frame is still accepted, but the caller should `await drained()` before
   * writing more. Throws `FrameTooLargeError` and `ClosedError` synchronously.
   */
  write(frame: Uint8Array | readonly Uint8Array[]): boolean;
  /** Resolves when the medium has room again (at once when it already has). */
  drained(): Promise<void>;
  /**
   * In-place writing, the fast path for encoders of small frames: reserves room for one frame of
   * exactly `size` bytes in the connection's own buffer (a write batch, a ring) and returns the
   * offset in `reservedBuffer` where its bytes go, or -1 when the connection cannot take it in
   * place now (then use `write()`). Between a reservation and `commitFrame()` nothing else may be
   * written or awaited. Throws like `write()`.
   * @example
   * ```ts
   * const at = conn.reserveFrame(3);
   * if (at < 0) conn.write(bytes);
   * else { conn.reservedBuffer.set(bytes, at); conn.commitFrame(); }
   * ```
   */
  reserveFrame(size: number): number;
  /** The buffer of the last successful `reserveFrame()`. */
  readonly reservedBuffer: Uint8Array;
  /** Sends the reserved frame; returns what `write()` would. */
  commitFrame(): boolean;
  /**
   * Push mode: every received frame is given to `onFrame` synchronously, in order, with no
   * per-frame promise. Exclusive with async iteration. Use `pause()` / `resume()` for flow
   * control; while paused, the medium fills and the peer's sends wait.
   *
   * `onInputError`: the medium's own input checks failed (a frame length over `maxFrameSize`,
   * the partial-frame budget or timeout). Reading has stopped for good; the owner says why and
   * closes (the hub sends ERR, then closes once it is flushed). Without it the connection is
   * destroyed with reason `protocol`.
   */
  consume(onFrame: (frame: Uint8Array) => void, onInputError?: (err: Error) => void): void;
  /** Stops reading from the medium (push mode). */
  pause(): void;
  /** Starts reading again (push mode). */
  resume(): void;
  /**
   * Sends every frame already accepted, then releases the connection. Wakes every pending
   * `send`, `drained` and iteration. Idempotent.
   */
  close(): Promise<void>;
  /** Closes at once without flushing (used on protocol errors and slow consumers). */
  destroy(reason: CloseReason, error?: Error): void;
  /**
   * Durable transports only (`file://` with `handBackUnsent`): frames a dead earlier process of
   * this client name accepted that no hub took and none will (its session was declined), taken
   * back when this connection opened. The owner sends them again, as it does `Closed.unsent`.
   */
  readonly takenBack?: readonly Uint8Array[];
  /**
   * Optional, where the transport knows it cheaply: how full the outgoing medium is, 0 (empty)
   * to 1 (full: `write()` returns false), e.g. a shm ring's unread bytes or a stream's bytes not
   * yet taken by the kernel. The hub reports it per peer in `$sys.stats`; absent: not reported.
   */
  fill?(): number;
  /**
   * Durable transports only (`file://`): the session's protocol state, as frames a new hub
   * replays to continue this session after a restart instead of ending it (a Bus gives its
   * HELLO and current subscriptions). Call it first right after writing the HELLO, then after
   * each change; `state` is read lazily, before the next frames are stored.
   */
  resumeWith?(state: () => readonly Uint8Array[]): void;
  /**
   * Durable transports only (`file://`): true while a hub process is alive on the medium, though
   * it may not have read this connection yet (a client waits on for its HELLO instead of failing).
   */
  hubAlive?(): boolean;
}

/** The hub side of a transport: accepted connections, then `close()`. */
export interface Listener extends AsyncIterable<Connection>, AsyncDisposable {
  /** The URL clients connect to (with defaults filled in). */
  readonly url: string;
  /** Stops accepting, closes every connection it accepted, removes every kernel object it made. */
  close(): Promise<void>;
  /**
   * Only for transports that start their clients (`capabilities.spawnsClients`): starts a child
   * process that is connected to this listener on inherited descriptors.
   */
  spawn?(command: string, args?: readonly string[], options?: SpawnClientOptions): SpawnedClient;
}

/**
 * One descriptor of a spawned child, in `child_process.spawn`'s stdio form: `'pipe'` (a
 * socketpair; this process's end is `child.stdio[fd]`), `'ignore'`, `'inherit'`, or an fd of
 * this process that the child gets a copy of.
 */
export type SpawnStdio = 'pipe' | 'ignore' | 'inherit' | number;

/** Options for `Listener.spawn`. */
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

/** A child started by `Listener.spawn`. */
export interface SpawnedClient {
  readonly pid: number;
  readonly child: import('node:child_process').ChildProcess;
  /** Resolves with the exit code (or the signal name) when the child has exited. */
  readonly exited: Promise<number | string>;
  /** The child's fd numbers of `extraStdio`, in order (`child.stdio[fd]` for a `'pipe'`). */
  readonly extraFds: readonly number[];
}

/** Options every transport accepts. */
export interface TransportOptions {
  /** Largest frame in bytes (default 16 MiB). */
  maxFrameSize?: number;
  /** Cancels a pending listen or connect. */
  signal?: AbortSignal;
  /** How long `connect` tries before it fails (ms, default 5000). */
  connectTimeout?: number;
  /** File mode of created objects (default 0o600: owner only). */
  mode?: number;
  /** ms a partial frame may wait for its next bytes before its connection ends (stream transports; default 30 s). */
  partialFrameTimeout?: number;
  /** Accept peers of other uids (default false: a hub rejects them where the kernel tells). */
  allowOtherUsers?: boolean;
  /** Transport-specific extras, given by URL query parameters or code. */
  [extra: string]: unknown;
}

/** A registered transport. */
export interface Transport {
  /** URL scheme without the colon, e.g. `unix`. */
  readonly scheme: string;
  readonly capabilities: Capabilities;
  /**
   * Native runtime features the transport cannot work without; `transportFor()` refuses it with
   * `UnsupportedError` on a runtime that lacks one (see `native/runtime.ts`), before it makes anything.
   */
  readonly requires?: readonly RuntimeFeature[];
  listen(url: string, options?: TransportOptions): Promise<Listener>;
  connect(url: string, options?: TransportOptions): Promise<Connection>;
}

/** Default largest frame: 16 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;
