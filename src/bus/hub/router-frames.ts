/**
 * What the router does with one frame from a peer: a PUB (the hot path, decoded by
 * `decodePubFast` without the general decoder), HELLO first, then SUB, UNSUB, PING (the flush
 * barrier), BYE. Anything else is a `ProtocolError` (the router then closes that peer only).
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { Op, decodeFrame, encodePong, toHello, toPub, type Hello, type Pub } from '../protocol/messages.js';
import { decodePubFast } from '../protocol/pub-decoder.js';
import type { RouterPeer } from './router-peer.js';
import type { RouterSubscriptions } from './router-subs.js';

/** The router's side of frame handling. */
export interface FrameTarget {
  readonly subs: RouterSubscriptions;
  publish(peer: RouterPeer, frame: Uint8Array, pub: Pub): void;
  welcome(peer: RouterPeer, hello: Hello): void;
  write(peer: RouterPeer, frame: Uint8Array): void;
}

/** Handles one frame from `peer`; throws `ProtocolError` on a frame that breaks the protocol. */
export function onPeerFrame(target: FrameTarget, peer: RouterPeer, frame: Uint8Array): void {
  // A zero-length frame is valid and carries nothing (docs/protocol.md, Framing).
  if (frame.length === 0) return;
  if (peer.hello) {
    const fast = decodePubFast(frame);
    if (fast) {
      target.publish(peer, frame, fast);
      return;
    }
  }
  const msg = decodeFrame(frame);
  const op = msg[0];
  if (!peer.hello) {
    if (op !== Op.HELLO) throw new ProtocolError(`expected HELLO first, got type=${String(op)}`);
    target.welcome(peer, toHello(msg));
    return;
  }
  switch (op) {
    case Op.PUB:
      target.publish(peer, frame, toPub(msg));
      return;
    case Op.SUB:
      target.subs.sub(peer, msg);
      return;
    case Op.UNSUB:
      target.subs.unsub(peer, msg);
      return;
    case Op.PING:
      if (typeof msg[1] !== 'number') throw new ProtocolError('malformed PING');
      // Everything this peer sent before the PING has been routed: the flush barrier.
      target.write(peer, encodePong(msg[1]));
      return;
    case Op.BYE:
      peer.saidBye = true;
      return;
    case Op.CREDIT:
    case Op.PONG:
      return;
    default:
      throw new ProtocolError(`unknown message type=${String(op)}`);
  }
}
