/**
 * `pipe:`: anonymous pipes between a hub and the children it spawns. Real `pipe(2)` pairs (not
 * Node's socketpair stdio), length-prefixed frames (StreamConnection), one Connection per child.
 *
 * - Hub: `const hub = await pipeTransport.listen('pipe:'); hub.spawn(cmd, args)`.
 * - Child: `await pipeTransport.connect('pipe:')` finds its fds in `UNIBUS_PIPE_FDS`.
 * - A child's exit is EOF on its connection (`peer-gone`); the hub keeps serving the others.
 * - `close()` on the hub ends every connection and then every child (grace, SIGTERM, SIGKILL).
 * - Query option `pipeSize` (default 256 KiB) sets F_SETPIPE_SZ.
 * @module
 */
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Connection, Listener, Transport, TransportOptions } from '../transport.js';
import { commonOptions } from '../shared/url.js';
import { connectPipe } from './pipe-client.js';
import { PipeListener } from './pipe-listener.js';
import { checkPipeUrl } from './pipe-url.js';

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'pid',
  durable: false,
  peerDeathEvents: true,
  crossProcess: true,
  spawnsClients: true,
};

/**
 * Starts a `pipe:` hub, typed with its `spawn()` (the same as `pipeTransport.listen`).
 *
 * @example
 * ```ts
 * const hub = await listenPipe('pipe:');
 * hub.spawn(process.execPath, ['worker.js']);
 * for await (const conn of hub) serve(conn);
 * ```
 */
export async function listenPipe(url = 'pipe:', options: TransportOptions = {}): Promise<PipeListener> {
  const { pipeSize } = checkPipeUrl(url);
  const { maxFrameSize } = commonOptions(url, options);
  const childGrace = typeof options.childGrace === 'number' ? options.childGrace : undefined;
  return new PipeListener(url, { maxFrameSize, pipeSize, childGrace });
}

function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  return connectPipe(url, options);
}

function listen(url: string, options?: TransportOptions): Promise<Listener> {
  return listenPipe(url, options);
}

/** The `pipe:` transport. */
export const pipeTransport: Transport = { scheme: 'pipe', capabilities, requires: ['fd-streams'], listen, connect };
