/**
 * Gives a socket accepted by a `node:net` server the same in-place reads as a connecting one
 * (Node's `onread`, ../framing/frame-input.ts). `net.Server` builds accepted sockets itself and
 * has no `onread` option (Node 20 lib/net.js `onconnection`), so the accepted handle is moved to
 * a second Socket made with `onread`: the server must be created with `pauseOnConnect: true`,
 * so nothing has been read by the first Socket when its handle moves.
 *
 * The first Socket is detached before it is destroyed: it no longer owns the handle (its
 * destroy closes nothing) nor counts in the server's connections (the second one does, so
 * `server.close()` still waits for it and `getConnections()` stays right).
 *
 * Where the runtime has none of these internals (Deno, Bun, a later Node that moved them), the
 * accepted socket is returned as it is and reads as before (`data` events, Node's buffers).
 * @module
 */
import { Socket } from 'node:net';
import type { ReadInto } from '../framing/frame-input.js';

/** The parts of Node's stream handle and Socket internals this relies on (checked with typeof). */
interface AcceptedInternals {
  _handle?: { useUserBuffer?: unknown; readStart?: unknown; readStop?: unknown; reading?: unknown; fd?: unknown } | null;
  _server?: unknown;
  server?: unknown;
}

/** Whether `socket` can hand its handle over: Node's libuv handle, untouched since accept. */
function canAdopt(socket: Socket): boolean {
  const internals = socket as unknown as AcceptedInternals;
  const handle = internals._handle;
  return handle !== null && typeof handle === 'object'
    && typeof handle.useUserBuffer === 'function'
    && typeof handle.readStart === 'function'
    && typeof handle.readStop === 'function'
    // Paused on accept (pauseOnConnect) and nothing buffered: no byte was read through `socket`.
    && handle.reading === false && socket.readableLength === 0
    && '_server' in internals && !socket.destroyed;
}

/**
 * The socket to build the connection on: a new one reading through `readInto.onread` (paused;
 * the connection resumes it), or `accepted` itself when its runtime cannot hand the handle over.
 * Call it synchronously in the server's `connection` handler of a `pauseOnConnect` server.
 *
 * @example
 * ```ts
 * const server = createServer({ pauseOnConnect: true });
 * server.on('connection', (accepted) => {
 *   const readInto = new ReadInto();
 *   const socket = adoptAcceptedForReadInto(accepted, readInto);
 *   queue.push(new StreamConnection(socket, socket, { maxFrameSize, readInto }));
 * });
 * ```
 */
export function adoptAcceptedForReadInto(accepted: Socket, readInto: ReadInto): Socket {
  if (!canAdopt(accepted)) return accepted;
  const first = accepted as unknown as AcceptedInternals;
  const handle = first._handle;
  const server = first._server;
  let socket: Socket;
  try {
    socket = new Socket({
      handle, onread: readInto.onread, allowHalfOpen: accepted.allowHalfOpen,
      readable: true, writable: true, pauseOnCreate: true,
    } as ConstructorParameters<typeof Socket>[0]);
  } catch {
    // Refused before it took the handle (option checks come first): the first Socket keeps it.
    return accepted;
  }
  // The handle and the connection count now belong to `socket` (its destroy closes the handle
  // and counts the server's connections down); the first Socket lets go of both, then ends.
  first._handle = null;
  first._server = null;
  first.server = null;
  const adopted = socket as unknown as AcceptedInternals;
  adopted._server = server;
  adopted.server = server;
  accepted.destroy();
  return socket;
}
