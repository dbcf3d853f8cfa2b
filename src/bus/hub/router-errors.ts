/**
 * How the hub tells a client something went wrong (ERR, `[8, code, text]`), in the two ways the
 * protocol has (docs/protocol.md, "Errors"):
 * - `sendErr`: the request was refused (a reserved topic, a frame too large for the client, a
 *   permission), the connection stays open and the client goes on.
 * - `closeAfterErr`: the connection is over (a protocol error, a slow consumer, a refused partial
 *   frame). The ERR is queued, nothing more is read from the peer, and the connection is closed
 *   gracefully so that the ERR and everything queued before it are flushed first (bounded by the
 *   connection's flush timeout, 2 s by default: a peer that reads nothing cannot hold the hub).
 * The router additionally stops routing to a peer it closes (`HubRouter#retire`).
 * @module
 */
import { UnibusError } from '../../errors.js';
import type { CloseReason } from '../../transports/transport.js';
import { encodeErr } from '../protocol/messages.js';
import type { RouterPeer } from './router-peer.js';

/** The ERR code for `err`: its stable `ERR_UNIBUS_*` code, else the generic protocol one. */
export function errCode(err: Error): string {
  return err instanceof UnibusError ? err.code : 'ERR_UNIBUS_PROTOCOL';
}

/**
 * Sends ERR and keeps the connection open. False when it could not be written (the peer is
 * closing, the hub's own bus, or an ERR larger than the peer's announced `maxFrameSize`).
 * @example
 * ```ts
 * if (!allowed) { sendErr(peer, 'ERR_UNIBUS_PERMISSION', `PUB on topic=${topic} refused`); return; }
 * ```
 */
export function sendErr(peer: RouterPeer, code: string, text: string): boolean {
  if (peer.local) return false;
  const frame = encodeErr(code, text);
  if (frame.length > peer.frameLimit) return false;
  try {
    peer.conn.write(frame);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends ERR (code from `err`), stops reading from the peer and closes its connection once the
 * ERR is flushed. `reason` is what the router reports in `peer-left`. Idempotent: the first
 * failure is the one reported.
 * @example
 * ```ts
 * closeAfterErr(peer, 'protocol', new ProtocolError('expected HELLO first'));
 * ```
 */
export function closeAfterErr(peer: RouterPeer, reason: CloseReason, err: Error): boolean {
  if (peer.failure) return false;
  peer.failure = { reason, error: err };
  sendErr(peer, errCode(err), err.message);
  peer.conn.pause();
  void peer.conn.close();
  return true;
}
