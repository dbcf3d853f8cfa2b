/**
 * What a hub requires of a client's HELLO (docs/protocol.md, "Field types" and "Session"):
 * the protocol version it speaks, a busId that is one topic token, and a `maxFrameSize` with
 * room for the hub's own small frames. Anything else is a protocol error (ERR, then close).
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { PROTOCOL_VERSION, type Hello } from '../protocol/messages.js';

/** Smallest `maxFrameSize` a client may announce: room for the hub's HELLO, PONG and ERR. */
export const MIN_CLIENT_FRAME = 256;

/** Throws `ProtocolError` for a HELLO the hub refuses. */
export function checkHello(hello: Hello): void {
  if (Math.trunc(hello.version) !== PROTOCOL_VERSION) {
    throw new ProtocolError(`protocol version=${hello.version} not supported (hub speaks ${PROTOCOL_VERSION})`);
  }
  if (!isOneToken(hello.busId)) {
    throw new ProtocolError(`HELLO busId=${JSON.stringify(hello.busId)} must be one topic token (no dots, wildcards or whitespace)`);
  }
  if (!(hello.maxFrameSize >= MIN_CLIENT_FRAME)) {
    throw new ProtocolError(`HELLO maxFrameSize=${hello.maxFrameSize} is below the minimum of ${MIN_CLIENT_FRAME} bytes`);
  }
}

/** A HELLO busId is one topic token: it names the bus's inbox, `_INBOX.<busId>.*`. */
export function isOneToken(s: string): boolean {
  return s.length > 0 && s.length <= 256 && !/[\s\0.*>]/.test(s);
}
