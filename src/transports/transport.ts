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

/**
 * How a connection ended; `closed` resolves to this and never rejects. A durable connection may
 * also hand back frames the peer never took (`ClosedWithUnsent`, `unsentOf()` in ./capabilities.ts).
 */
export interface Closed {
  readonly reason: CloseReason;
  readonly error?: Error;
}

/** What the kernel tells about the other end, where it tells anything. */
export interface PeerInfo {
  readonly pid?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * Who is on the other side of a connection as the kernel (or the hub's own act) proves it, never
 * what the peer claims about itself (the `PeerProver` capability, ./capabilities.ts). `source`
 * says how it is known:
 * - `SO_PEERCRED`: a Unix socket; the kernel recorded pid, uid and gid at connect time.
 * - `spawn`: `pipe:` on the hub side; the hub started the child, so it knows the pid.
 * - `parent`: `pipe:` on the child side; the hub is the parent process (`process.ppid`).
 * - `process`: `memory://`; the peer is this very process.
 * @example
 * ```ts
 * const cred = provenPeer(conn);
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
  /** Clients are started by the hub (`pipe:`): its listeners are `SpawningListener`s, `connect` has no URL target. */
  readonly spawnsClients: boolean;
}

/**
 * The core of a bidirectional, frame-preserving link to one peer: one way to send with
 * backpressure (`write` / `drained`), one way to receive (`consume` with `pause` / `resume`),
 * and its end (`closed`, `close`, `destroy`). This is what the hub and the Bus use on the hot
 * path. What only some backends offer (in-place writing, fill, proven peer identity, durable
 * hand-back) are optional capabilities with type guards in ./capabilities.ts.
 */
export interface ConnectionCore extends AsyncDisposable {
  /** Credentials of the peer where the kernel gives them (see `PeerProver` for proven ones). */
  readonly peer: PeerInfo;
  /** Largest frame `write()` accepts on this connection. */
  readonly maxFrameSize: number;
  /** Resolves (never rejects) once the connection has ended and released everything. */
  readonly closed: Promise<Closed>;
  /**
   * Accepts one frame (given whole, or as chunks that are sent back to back as one frame) at
   * once and returns `true`, or `false` when the medium is full: the frame is still accepted,
   * but the caller should `await drained()` before writing more. Throws `FrameTooLargeError`
   * (nothing written) and `ClosedError` synchronously.
   */
  write(frame: Uint8Array | readonly Uint8Array[]): boolean;
  /** Resolves when the medium has room again (at once when it already has). */
  drained(): Promise<void>;
  /**
   * Every received frame is given to `onFrame` synchronously, in order, with no per-frame
   * promise. Use `pause()` / `resume()` for flow control; while paused, the medium fills and the
   * peer's writes wait.
   *
   * `onInputError`: the medium's own input checks failed (a frame length over `maxFrameSize`,
   * the partial-frame budget or timeout). Reading has stopped for good; the owner says why and
   * closes (the hub sends ERR, then closes once it is flushed). Without it the connection is
   * destroyed with reason `protocol`.
   */
  consume(onFrame: (frame: Uint8Array) => void, onInputError?: (err: Error) => void): void;
  /** Stops reading from the medium. */
  pause(): void;
  /** Starts reading again. */
  resume(): void;
  /**
   * Sends every frame already accepted, then releases the connection. Wakes every pending
   * `drained`, send and receive. Idempotent.
   */
  close(): Promise<void>;
  /** Closes at once without flushing (used on protocol errors and slow consumers). */
  destroy(reason: CloseReason, error?: Error): void;
}

/**
 * A connection as every transport returns it: the core plus two conveniences written once on
 * top of it (`BaseConnection` in ./connection-base.ts), never by a backend.
 */
export interface Connection extends ConnectionCore, AsyncIterable<Uint8Array> {
  /**
   * `write()`, then waits for room (`drained()`) and until the frame is in the medium (kernel,
   * ring or log), so a process that exits right after loses nothing. Rejects with
   * `FrameTooLargeError` (nothing written) or `ClosedError` / `PeerGoneError`.
   */
  send(frame: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /**
   * Pull mode, exclusive with `consume()`: frames from a bounded queue; reading pauses while it
   * is full. Ending the loop early closes the connection.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

/** The hub side of a transport: accepted connections, then `close()`. */
export interface Listener extends AsyncIterable<Connection>, AsyncDisposable {
  /** The URL clients connect to (with defaults filled in). */
  readonly url: string;
  /** Stops accepting, closes every connection it accepted, removes every kernel object it made. */
  close(): Promise<void>;
}

/** Moved to ./capabilities.ts (the `SpawningListener` capability); re-exported for importers. */
export type { SpawnClientOptions, SpawnedClient, SpawnStdio } from './capabilities.js';

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
