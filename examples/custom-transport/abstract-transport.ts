/**
 * `abstract://name`: a unibus transport over Linux abstract-namespace Unix sockets, written with
 * `unibus/transport-kit` only.
 *
 * - The socket has no file: nothing to remove on close, nothing stale after a crash (the kernel
 *   frees the name when the hub dies, even by SIGKILL), and a second live hub fails at bind
 *   with EADDRINUSE, which becomes `HubRunningError`.
 * - File modes do not protect an abstract socket: any local user can connect. So the hub reads
 *   each peer's uid with SO_PEERCRED and refuses users other than its own, unless the URL allows
 *   them: `abstract://name?allow=1001,1002` (numeric uids).
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import {
  AcceptQueue, commonOptions, connectSocket, DEFAULT_MAX_FRAME_SIZE, HubRunningError, InvalidUrlError, parseUrl,
  socketCredentials, StreamConnection, validateName,
  type Capabilities, type Connection, type Listener, type Transport, type TransportOptions,
} from 'unibus/transport-kit';

/** A byte stream between any local processes, peers known by SO_PEERCRED, EOF when one dies. */
const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE, peerIdentity: 'pid+uid', durable: false,
  peerDeathEvents: true, crossProcess: true, spawnsClients: false,
};

/** The abstract address of `abstract://name` (the leading NUL keeps it off the filesystem). */
export function socketAddress(url: string): string {
  const parsed = parseUrl(url, 'abstract');
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw new InvalidUrlError(url, 'expected abstract://name (no path)');
  const address = `\0unibus-abstract-${validateName(parsed.hostname, url)}`;
  if (address.length > 107) throw new InvalidUrlError(url, 'name too long for a socket address (at most 90 characters)');
  return address;
}

/** The uids the hub accepts: its own, plus `?allow=uid,uid`. */
function allowedUids(url: string): Set<number> {
  const own = process.getuid?.() ?? 0;
  const allow = new URL(url).searchParams.get('allow');
  const extra = allow ? allow.split(',').map((uid) => {
    if (!/^\d+$/.test(uid.trim())) throw new InvalidUrlError(url, `allow must list numeric uids (got ${JSON.stringify(uid)})`);
    return Number(uid);
  }) : [];
  return new Set([own, ...extra]);
}

class AbstractListener implements Listener {
  readonly #accepted = new AcceptQueue();
  #closing: Promise<void> | undefined;

  constructor(readonly url: string, private readonly server: Server, allowed: Set<number>, maxFrameSize: number) {
    server.on('connection', (socket: Socket) => {
      let peer: ReturnType<typeof socketCredentials>;
      try {
        peer = socketCredentials(socket);
      } catch {
        socket.destroy(); // gone before we could ask who it was
        return;
      }
      if (!allowed.has(peer.uid)) {
        socket.destroy(); // another user: refused before a single byte is read
        return;
      }
      // The kernel proved who connected: the connection reports it (the PeerProver capability).
      this.#accepted.push(new StreamConnection(socket, socket, { maxFrameSize, peer, peerProvenBy: 'SO_PEERCRED' }));
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#accepted.end();
      const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      await this.#accepted.closeAll();
      await serverClosed;
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function listen(url: string, options: TransportOptions = {}): Promise<Listener> {
  const address = socketAddress(url);
  const allowed = allowedUids(url);
  const { maxFrameSize } = commonOptions(url, options);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error & { code?: string }) => {
      server.close();
      reject(err.code === 'EADDRINUSE' ? new HubRunningError(url, 'a live hub holds this abstract name') : err);
    });
    server.listen({ path: address }, () => resolve());
  });
  return new AbstractListener(url, server, allowed, maxFrameSize);
}

async function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  const address = socketAddress(url);
  allowedUids(url); // the same URL must be valid on both sides
  const { maxFrameSize } = commonOptions(url, options);
  const socket = await connectSocket(address, url, options);
  return new StreamConnection(socket, socket, { maxFrameSize, peer: () => socketCredentials(socket), peerProvenBy: 'SO_PEERCRED' });
}

/** The `abstract:` transport; `registerTransport(abstractTransport)` makes every Bus know it. */
export const abstractTransport: Transport = { scheme: 'abstract', capabilities, listen, connect };
