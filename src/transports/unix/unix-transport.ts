/**
 * `unix:///path/app.sock`: a stream socket, length-prefixed frames (StreamConnection).
 *
 * - The hub creates the socket file mode 0600 (only the owner, and root, can connect) and
 *   removes it on close. A stale file left by a killed hub is replaced; a live hub is never
 *   taken over (see hub-liveness.ts): `HubRunningError`.
 * - Peer pid/uid/gid come from SO_PEERCRED on first read of `connection.peer` (this loads the
 *   native layer only then).
 * @module
 */
import { unlinkSync, chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { AcceptQueue } from '../shared/accept-queue.js';
import { adoptAcceptedForReadInto } from '../shared/accept-read-into.js';
import { connectSocket } from '../shared/connect-socket.js';
import { ReadInto } from '../framing/frame-input.js';
import { clearStale } from '../shared/ownership.js';
import { socketFd } from '../shared/socket-peer.js';
import { commonOptions } from '../shared/url.js';
import { StreamConnection } from '../stream-connection.js';
import { LendingStreamConnection } from '../lending-stream-connection.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Connection, Listener, PeerInfo, Transport, TransportOptions } from '../transport.js';
import { acquireHubLiveness } from './hub-liveness.js';
import { unixSocketPath } from './unix-url.js';

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'pid+uid',
  durable: false,
  peerDeathEvents: true,
  crossProcess: true,
  spawnsClients: false,
};

/** Reads SO_PEERCRED on first use only: most users never look, and it loads the native layer. */
function readPeer(socket: Socket): () => PeerInfo {
  return () => {
    const fd = socketFd(socket);
    if (fd === undefined || !peerCredentials) return {};
    try {
      return peerCredentials(fd);
    } catch {
      return {};
    }
  };
}

let peerCredentials: ((fd: number) => PeerInfo) | undefined;

/** Loads the credentials reader once, in the background, when the first hub starts. */
async function loadPeerCredentials(): Promise<void> {
  if (peerCredentials) return;
  try {
    peerCredentials = (await import('../../native/sockets.js')).peerCredentials;
  } catch {
    peerCredentials = () => ({});
  }
}


class UnixListener implements Listener {
  readonly url: string;
  readonly #server: Server;
  readonly #liveness: Server;
  readonly #path: string;
  readonly #accepted = new AcceptQueue();
  #closing: Promise<void> | undefined;

  constructor(url: string, path: string, server: Server, liveness: Server, maxFrameSize: number,
    partialFrameTimeout: number | undefined) {
    this.url = url;
    this.#path = path;
    this.#server = server;
    this.#liveness = liveness;
    server.on('connection', (accepted: Socket) => {
      // The hub reads large frames in place too (a Socket of its own with `onread`; the accepted
      // one as it is where the runtime cannot hand its handle over): shared/accept-read-into.ts.
      const readInto = new ReadInto();
      const socket = adoptAcceptedForReadInto(accepted, readInto);
      const options = {
        maxFrameSize, peer: readPeer(socket), peerProvenBy: 'SO_PEERCRED' as const, ...(partialFrameTimeout ? { partialFrameTimeout } : {}),
      };
      // Read in place, it lends frames the router only forwards (framing/chunk-lending.ts).
      this.#accepted.push(socket !== accepted
        ? new LendingStreamConnection(socket, readInto, options)
        : new StreamConnection(socket, socket, options));
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#accepted.end();
      // server.close() calls back only once every connection has ended, so close them first:
      // awaiting it before closeAll() hung for as long as any client kept its socket open.
      const serverClosed = new Promise<void>((r) => this.#server.close(() => r()));
      await this.#accepted.closeAll();
      await serverClosed;
      try { unlinkSync(this.#path); } catch { /* already gone */ }
      await new Promise<void>((r) => this.#liveness.close(() => r()));
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function listen(url: string, options: TransportOptions = {}): Promise<Listener> {
  const path = unixSocketPath(url);
  const { maxFrameSize, mode, partialFrameTimeout } = commonOptions(url, options);
  const liveness = await acquireHubLiveness(path, url);
  let server: Server | undefined;
  try {
    clearStale(path, 'socket'); // a dead hub's socket; refuses anything else, or another user's
    await loadPeerCredentials();
    // Paused: an accepted socket's handle moves, unread, to a Socket that reads in place.
    server = createServer({ pauseOnConnect: true });
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      // umask makes the socket owner-only from its creation; chmod states the mode asked for.
      const old = process.umask(0o177);
      try {
        listening.listen({ path }, () => resolve());
      } finally {
        process.umask(old);
      }
    });
    chmodSync(path, mode);
    return new UnixListener(url, path, server, liveness, maxFrameSize, partialFrameTimeout);
  } catch (err) {
    // A failure after bind must not leave a listening server (it kept the process alive) or its file.
    if (server?.listening) {
      server.close();
      try { unlinkSync(path); } catch { /* never made, or already gone */ }
    }
    liveness.close();
    throw err;
  }
}

async function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  const path = unixSocketPath(url);
  const { maxFrameSize } = commonOptions(url, options);
  await loadPeerCredentials();
  // Large frames are read straight into the buffer they are delivered in (framing/frame-input.ts).
  const readInto = new ReadInto();
  const socket = await connectSocket(path, url, options, readInto);
  return new StreamConnection(socket, socket, { maxFrameSize, peer: readPeer(socket), peerProvenBy: 'SO_PEERCRED', readInto });
}

/** The `unix:` transport. */
export const unixTransport: Transport = { scheme: 'unix', capabilities, listen, connect };
