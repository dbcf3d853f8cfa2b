/**
 * How long a client waits for its hub's HELLO: `helloTimeout`, except on a durable medium whose
 * hub is alive but slow (loaded, or a restarted hub still reading its spool), where it waits on
 * for up to `HELLO_PATIENCE` rounds rather than fail, or retry into the same log. Apart from the
 * client (./client.ts) because this patience rule is a policy of its own.
 * @module
 */
import { ClosedError, PeerGoneError, TimeoutError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import { handsBack } from '../../transports/capabilities.js';

/** Rounds of `helloTimeout` a client waits for a live but slow hub on a durable medium. */
const HELLO_PATIENCE = 12;

/** Resolves when `hello` does; rejects with `TimeoutError` once the hub is late past its patience. */
export async function awaitHello(hello: Promise<void>, conn: Connection, timeout: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    for (let round = 1; ; round++) {
      const late = await Promise.race([hello.then(() => false), new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), timeout);
      })]);
      clearTimeout(timer);
      if (!late) return;
      if (!handsBack(conn) || !conn.hubAlive() || round >= HELLO_PATIENCE) {
        throw new TimeoutError(round > 1 ? 'waiting for the hub HELLO (its hub is alive but silent)' : 'waiting for the hub HELLO', timeout * round);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The error of a handshake whose connection ended before the hub's HELLO. Said plainly, because
 * "the frame was not written" names no cause: a hub that accepts and closes at once is at its
 * connection limit or out of file descriptors (Node's accept then closes new sockets unseen).
 */
export function endedBeforeHello(err: Error): Error {
  if (!(err instanceof PeerGoneError) && !(err instanceof ClosedError)) return err;
  return new PeerGoneError('the hub closed the connection before its HELLO (a hub out of file descriptors '
    + 'or at a connection limit does this)', { cause: err });
}
