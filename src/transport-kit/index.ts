/**
 * `unibus/transport-kit`: everything an outside author needs to add a URL scheme to unibus,
 * and the conformance suites that prove it keeps the Transport contract
 * (see docs/transports.md for the one-page guide, examples/custom-transport for a whole one).
 *
 * - The contract: `Transport`, `Listener`, `Connection` and their option types.
 * - Base classes: `BaseConnection` (any medium: implement five hooks) and `StreamConnection`
 *   (any pair of byte-stream sockets: nothing to implement).
 * - Framing: `LengthPrefixDecoder`, `readLength`, `writeLength`, `HEADER_BYTES`.
 * - URLs: `parseUrl`, `urlPath`, `validateName`, `parseSize`, `commonOptions`.
 * - `AcceptQueue`, the async-iterable side of a `Listener`.
 * - Unix sockets: `connectSocket` (timeout and abort handled), `socketCredentials` (SO_PEERCRED).
 * - `registerTransport`, `transportFor`.
 * - `transportSuite(fixture)`, `busSuite(fixture)`: the conformance suites (they need the `uvu`
 *   test runner installed; they load it only when called).
 *
 * @example
 * ```ts
 * import { registerTransport, StreamConnection, AcceptQueue, commonOptions } from 'unibus/transport-kit';
 * registerTransport({ scheme: 'abstract', capabilities, listen, connect });
 * ```
 * @module
 */
export type {
  Transport, Listener, Connection, Capabilities, TransportOptions, PeerInfo, Closed, CloseReason,
  SpawnClientOptions, SpawnedClient, SpawnStdio,
} from '../transports/transport.js';
export { DEFAULT_MAX_FRAME_SIZE } from '../transports/transport.js';
export { BaseConnection } from '../transports/connection-base.js';
export { StreamConnection, type StreamConnectionOptions } from '../transports/stream-connection.js';
export { LengthPrefixDecoder, readLength, writeLength, HEADER_BYTES, type FrameHandler } from '../transports/framing/length-prefix.js';
export { parseUrl, urlPath, validateName, parseSize, commonOptions } from '../transports/shared/url.js';
export { AcceptQueue } from '../transports/shared/accept-queue.js';
export { socketCredentials, socketFd } from '../transports/shared/socket-peer.js';
export { connectSocket, DEFAULT_CONNECT_TIMEOUT } from '../transports/shared/connect-socket.js';
export { registerTransport, transportFor, schemeOf, transportSchemes } from '../transports/registry.js';
export {
  InvalidUrlError, HubRunningError, TimeoutError, AbortedError, ClosedError, PeerGoneError,
  FrameTooLargeError, ProtocolError, UnsupportedError,
} from '../errors.js';
export * from './conformance/index.js';
