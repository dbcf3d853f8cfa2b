/**
 * `unix:///abs/path.sock` URLs: the socket path, checked against the kernel's limit before any
 * socket exists. `struct sockaddr_un.sun_path` holds 108 bytes including the terminating NUL, so
 * a path of more than 107 bytes cannot be bound or connected to; Node would silently bind a
 * truncated name instead (a file of another name, which the hub then failed to chmod and left).
 * @module
 */
import { InvalidUrlError } from '../../errors.js';
import { urlPath } from '../shared/url.js';

/** Bytes of `sun_path`, the terminating NUL included (Linux). */
export const SUN_PATH_BYTES = 108;

/**
 * The socket path of a `unix:` URL; `InvalidUrlError` when it is not absolute or too long.
 *
 * @example
 * ```ts
 * unixSocketPath('unix:///run/app.sock'); // '/run/app.sock'
 * unixSocketPath(`unix:///tmp/${'x'.repeat(200)}`); // InvalidUrlError: ... at most 107 bytes ...
 * ```
 */
export function unixSocketPath(url: string): string {
  const path = urlPath(url, 'unix');
  const bytes = Buffer.byteLength(path);
  if (bytes >= SUN_PATH_BYTES) {
    throw new InvalidUrlError(url, `socket path is ${bytes} bytes; a Unix socket path holds at most ${SUN_PATH_BYTES - 1} (sun_path is ${SUN_PATH_BYTES} bytes including the NUL): use a shorter path`);
  }
  return path;
}
