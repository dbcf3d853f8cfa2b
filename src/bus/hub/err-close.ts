/**
 * "Send ERR, then close after a flush": how the hub tells a peer why it is being dropped (slow
 * consumer), as docs/protocol.md promises: the ERR arrives after what the connection already
 * holds and before the end, not a bare reset. The close waits for the flush only as long as the
 * transport's bounded flush timeout (about 2 s), so a peer that never reads cannot hold the hub.
 * (A minimal local helper; the router's protocol-error path may share it.)
 * @module
 */
import type { UnibusError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import { encodeErr } from '../protocol/messages.js';

export function sendErrThenClose(conn: Connection, err: UnibusError): void {
  try {
    // Accepted even when the connection is full (it then only reports "no room").
    conn.write(encodeErr(err.code, err.message));
  } catch {
    // Already closing: nothing more to tell.
  }
  void conn.close();
}
