/**
 * "Send ERR, then close after a flush": how the hub tells a peer why it is being dropped (slow
 * consumer), as docs/protocol.md promises: the ERR goes after what the connection already holds
 * and before the end, not a bare reset. A dropped slow reader is by definition not reading, so
 * the close waits (at most `waitMs`) until the ERR is in the medium (`send()` resolved: in the
 * kernel or the ring), then closes: a peer that reads again within `waitMs` gets every frame
 * already handed to it, then the ERR, then the end; one that never reads cannot hold the hub
 * longer than `waitMs` plus the transport's bounded flush.
 * (A minimal local helper; the router's protocol-error path may share it.)
 * @module
 */
import type { UnibusError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import { encodeErr } from '../protocol/messages.js';

export function sendErrThenClose(conn: Connection, err: UnibusError, waitMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  const sent = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
    // Accepted even when the connection is full; resolves once it is in the medium.
    conn.send(encodeErr(err.code, err.message)).then(resolve, resolve);
  });
  void sent.then(() => {
    clearTimeout(timer);
    return conn.close();
  });
}
