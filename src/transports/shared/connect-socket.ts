/**
 * Connecting a `node:net` socket the way every socket transport must: bounded by
 * `connectTimeout` (TimeoutError), abortable by `signal` (AbortedError), and with every listener
 * removed and the socket destroyed when it fails, so a failed connect leaves nothing open.
 * @module
 */
import { createConnection, type Socket } from 'node:net';
import { AbortedError, TimeoutError } from '../../errors.js';
import type { TransportOptions } from '../transport.js';
import type { ReadInto } from '../framing/frame-input.js';

/** Default of `TransportOptions.connectTimeout` (ms). */
export const DEFAULT_CONNECT_TIMEOUT = 5000;

/**
 * Connects to the Unix socket `path` (a leading NUL byte names an abstract socket) for `url`.
 * With `readInto`, the socket reads where it says (pass the same to the StreamConnection) and
 * starts paused: nothing is read before the connection resumes it.
 *
 * @example
 * ```ts
 * const socket = await connectSocket('/run/app.sock', url, { connectTimeout: 2000 });
 * return new StreamConnection(socket, socket, { maxFrameSize });
 * ```
 */
export async function connectSocket(path: string, url: string, options: TransportOptions = {}, readInto?: ReadInto): Promise<Socket> {
  const timeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  const signal = options.signal;
  if (signal?.aborted) throw new AbortedError(`connect to ${url}`, signal.reason);
  const socket = createConnection(readInto ? { path, onread: readInto.onread } : { path });
  if (readInto) socket.pause();
  await new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
    };
    const onConnect = (): void => { cleanup(); resolve(); };
    const onError = (err: Error): void => { cleanup(); socket.destroy(); reject(err); };
    const onAbort = (): void => onError(new AbortedError(`connect to ${url}`, signal?.reason));
    const timer = setTimeout(() => onError(new TimeoutError(`connect to ${url}`, timeout)), timeout);
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  return socket;
}
