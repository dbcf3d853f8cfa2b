/**
 * `fifo:///dir`: named pipes between unrelated processes of one user. The hub owns `dir` (0700)
 * and a rendezvous FIFO; each client makes its own FIFO pair there, announces it in one atomic
 * line, and both sides unlink the pair once open, so a crash leaves nothing behind. Frames are
 * length-prefixed (StreamConnection). Protocol: fifo-names.ts.
 *
 * - A second hub on the same dir gets `HubRunningError`; a dead hub's dir is cleaned by the next.
 * - Writer departure (EOF) ends a connection (`peer-gone`) after every committed frame.
 * - Query options: `pipeSize` (default 256 KiB, set with F_SETPIPE_SZ), `maxFrameSize`.
 *
 * @example
 * ```ts
 * const hub = await fifoTransport.listen('fifo:///tmp/app');
 * const conn = await fifoTransport.connect('fifo:///tmp/app'); // in another process
 * ```
 * @module
 */
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Connection, Listener, Transport, TransportOptions } from '../transport.js';
import { commonOptions, parseSize, parseUrl, urlPath } from '../shared/url.js';
import { connectFifo } from './fifo-client.js';
import { FifoListener } from './fifo-listener.js';

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'pid',
  durable: false,
  peerDeathEvents: true,
  crossProcess: true,
  spawnsClients: false,
};

const DEFAULT_PIPE_SIZE = 256 * 1024;
const DEFAULT_HANDSHAKE_TIMEOUT = 5000;

function pipeSizeOf(url: string): number {
  const q = parseUrl(url, 'fifo').searchParams.get('pipeSize');
  return q === null ? DEFAULT_PIPE_SIZE : parseSize(q, url, 'pipeSize');
}

async function listen(url: string, options: TransportOptions = {}): Promise<Listener> {
  const dir = urlPath(url, 'fifo');
  const { maxFrameSize, mode } = commonOptions(url, options);
  const handshakeTimeout = typeof options.handshakeTimeout === 'number' ? options.handshakeTimeout : DEFAULT_HANDSHAKE_TIMEOUT;
  return FifoListener.start(url, dir, { maxFrameSize, mode, pipeSize: pipeSizeOf(url), handshakeTimeout });
}

async function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  const dir = urlPath(url, 'fifo');
  const { maxFrameSize } = commonOptions(url, options);
  pipeSizeOf(url);
  return connectFifo({ url, dir, maxFrameSize, timeout: options.connectTimeout ?? 5000, signal: options.signal });
}

/** The `fifo:` transport. */
export const fifoTransport: Transport = { scheme: 'fifo', capabilities, requires: ['fd-poll', 'fd-streams'], listen, connect };
