/**
 * The one place where an OS fd (a pipe, a FIFO) becomes a stream that the event loop watches:
 * `net.Socket({ fd })`, which parks no thread. Every transport that streams over such an fd goes
 * through here, so a runtime that lacks it is refused in one place.
 *
 * @example
 * ```ts
 * const [r, w] = pipe();
 * setNonBlocking(r, true);
 * const input = fdSocket(r, 'read');
 * input.on('data', (chunk) => console.log(chunk));
 * ```
 * @module
 */
import { Socket } from 'node:net';
import { requireRuntimeFeature } from './runtime.js';

/**
 * A `net.Socket` over `fd` (an OS fd: one made by `native/fds.ts` or inherited, never a Deno
 * `node:fs` fd). `'read'` and `'write'` make a one-way socket; the socket owns and closes `fd`.
 */
export function fdSocket(fd: number, direction: 'read' | 'write' | 'both'): Socket {
  requireRuntimeFeature('fd-streams');
  return new Socket({ fd, readable: direction !== 'write', writable: direction !== 'read' });
}
