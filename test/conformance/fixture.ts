/**
 * What a backend gives the conformance suites: the suites use nothing else, and choose their
 * cases by `capabilities` (and by whether `injectGarbage` exists), never by scheme name.
 *
 * To add a transport: write `fixtures/<scheme>.ts` exporting a `TransportFixture`, add one line
 * to `fixtures/index.ts`, and add `transport-<scheme>.test.ts` (two lines, copy the unix one) so
 * that scheme runs in its own process under the runner's watchdog.
 * @module
 */
import type { Child } from '../helpers/processes.js';
import type { Capabilities, Connection, Listener, TransportOptions } from '../../src/transports/transport.js';

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
   * A `spawnsClients` transport must start it with `listener.spawn`, so it inherits its fds.
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
  /** Files, sockets and kernel objects of `url` still present (names, for the failure message). */
  leftovers(url: string): Promise<string[]>;
}
