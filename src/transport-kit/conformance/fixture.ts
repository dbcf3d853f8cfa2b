/**
 * What a backend gives the conformance suites: the suites use nothing else, and choose their
 * cases by `capabilities` (and by whether `injectGarbage` exists), never by scheme name.
 *
 * To check a transport: write a `TransportFixture` for it and call `transportSuite(fixture)` and
 * `busSuite(fixture)` (from `unibus/transport-kit`), each from its own test file so each runs in
 * its own process. Inside this repository the built-in fixtures are in test/conformance/fixtures/.
 * @module
 */
import type { Child } from './processes.js';
import type { Capabilities, Connection, Listener, TransportOptions } from '../../transports/transport.js';

export interface TransportFixture {
  /** URL scheme without the colon. */
  readonly scheme: string;
  /** The transport's own capabilities (the suite reads only these). */
  readonly capabilities: Capabilities;
  /** A fresh URL carrying the run prefix and `label`; no two calls return the same one. */
  url(label: string): string;
  /** URLs of this scheme that `listen` and `connect` must refuse with `InvalidUrlError`. */
  readonly invalidUrls: readonly string[];
  /** Starts a hub on `url` in this process. */
  listen(url: string, options?: TransportOptions): Promise<Listener>;
  /**
   * Connects from this process. The suite uses it only when `!capabilities.crossProcess`
   * (its peers then run in-process); other fixtures may simply call the transport's connect.
   */
  connect(url: string, options?: TransportOptions): Promise<Connection>;
  /**
   * Starts `node <scriptPath> ...args` as a client of `listener` with `env` added. The child
   * reads `UNIBUS_URL` (and `UNIBUS_MAX_FRAME_SIZE`) and connects with `transportFor(url)`.
   * A `spawnsClients` transport must start it with `listener.spawn` (`SpawningListener`), so it inherits its fds.
   * Its stdout must be a pipe (`Child.waitLine` reads it).
   */
  spawnClient(listener: Listener, url: string, scriptPath: string, args: readonly string[], env: NodeJS.ProcessEnv): Child;
  /**
   * Opens a raw peer of the medium on `url` (not a Connection) and writes bytes that break the
   * framing (e.g. a length header above maxFrameSize, then junk); resolves once the hub has
   * dropped that peer or after a few seconds. Absent when the medium has no raw form (memory://).
   */
  readonly injectGarbage?: (url: string, listener: Listener) => Promise<void>;
  /**
   * Only for a fabric whose router is an external server (NATS): stops it (SIGKILL) and starts
   * it again on the same URL. The Bus suite then restarts this server in the hub-restart case
   * instead of a `unibus hub` child, and skips cases that need a hub of ours (`$sys.peers`).
   */
  readonly externalServer?: { readonly running: boolean; kill(): Promise<void>; restart(): Promise<void> };
  /**
   * A module (absolute path or file: URL) that every child process the suites start themselves
   * (a stale hub, a `unibus hub` CLI) imports first with `node --import`: a third-party
   * transport registers its scheme there (`registerTransport`). Built-in transports need none.
   * `spawnClient` is the fixture's own and must add it too (`spawnNode`'s `nodeArgs`).
   */
  readonly preload?: string;
  /** Files, sockets and kernel objects of `url` still present (names, for the failure message). */
  leftovers(url: string): Promise<string[]>;
}
