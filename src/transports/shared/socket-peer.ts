/**
 * Who is on the other end of a connected Unix socket (`node:net`), from SO_PEERCRED: the pid,
 * uid and gid the kernel recorded when the peer connected. The native layer loads on first call.
 * @module
 */
import type { Socket } from 'node:net';
import { peerCredentials } from '../../native/sockets.js';

/** The fd under a connected `net.Socket`; undefined once it is closed (or off libuv pipes). */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  return fd === undefined || fd < 0 ? undefined : fd;
}

/**
 * pid, uid and gid of the peer of a connected Unix socket. Throws `UnsupportedError` off Linux,
 * and the errno error when the socket is already closed.
 *
 * @example
 * ```ts
 * server.on('connection', (socket) => {
 *   if (socketCredentials(socket).uid !== process.getuid!()) socket.destroy();
 * });
 * ```
 */
export function socketCredentials(socket: Socket): { pid: number; uid: number; gid: number } {
  const fd = socketFd(socket);
  if (fd === undefined) throw new TypeError('socketCredentials: the socket has no open fd');
  return peerCredentials(fd);
}
