/**
 * `unibus/transport-kit`: everything an outside author needs to add a URL scheme to unibus,
 * and the conformance suites that prove it keeps the Transport contract
 * (see docs/transports.md for the one-page guide, examples/custom-transport for a whole one).
 *
 * - The contract: `Transport`, `Listener`, `ConnectionCore` / `Connection` and their option types.
 * - Optional capabilities, each an interface with a type guard: `InPlaceWriter`
 *   (`canWriteInPlace`), `FillReporter` (`reportsFill`), `PeerProver` (`provesPeer`,
 *   `provenPeer`), `DurableHandBack` (`handsBack`, `unsentOf`), `SpawningListener` (`canSpawn`),
 *   `AdmissionReporter` (`reportsAdmission`; `AdmissionReports` and `admissionError` help).
 * - Base classes: `BaseConnection` (any medium: implement three hooks, `writeChunks`,
 *   `release` and a way to read), `InPlaceConnection` (adds in-place writing) and
 *   `StreamConnection` (any pair of byte-stream sockets: nothing to implement).
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
  Transport, Listener, ConnectionCore, Connection, Capabilities, TransportOptions, PeerInfo, PeerCredentials,
  Closed, CloseReason,
} from '../transports/transport.js';
export { DEFAULT_MAX_FRAME_SIZE } from '../transports/transport.js';
export {
  canWriteInPlace, reportsFill, provesPeer, provenPeer, handsBack, unsentOf, canSpawn, reportsAdmission,
  type AdmissionReporter, type InPlaceWriter, type FillReporter, type PeerProver, type DurableHandBack, type ClosedWithUnsent,
  type SpawningListener, type SpawnClientOptions, type SpawnedClient, type SpawnStdio,
} from '../transports/capabilities.js';
export { AdmissionReports, admissionError } from '../transports/shared/admission.js';
export { BaseConnection } from '../transports/connection-base.js';
export { InPlaceConnection } from '../transports/in-place-connection.js';
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
