/**
 * Who a peer is, as the router reports it (PEERS, `$sys.peers`, `peers()`): the **proven** pid,
 * uid and gid where the transport proves them (`provenPeer(conn)`: SO_PEERCRED on
 * unix://, the spawned child's pid on pipe:), and what the peer said in HELLO only as claims
 * (`name`, `claimedPid`). A client that says it is pid 1 shows as `claimedPid: 1`, never `pid: 1`.
 * @module
 */
import type { PeerDescription } from '../fabric.js';
import type { RouterPeer } from './router-peer.js';
import { provenPeer } from '../../transports/capabilities.js';

/** Topics under `$sys.` (and `$sys` itself) are published by the hub only. */
export function isReservedTopic(topic: string): boolean {
  return topic.charCodeAt(0) === 36 /* $ */ && (topic === '$sys' || topic.startsWith('$sys.'));
}

export function describePeer(peer: RouterPeer, transport: string): PeerDescription {
  const h = peer.hello;
  // Before HELLO (a peer that never said it) the credentials were not read yet.
  const cred = h ? peer.credentials : provenPeer(peer.conn);
  return {
    id: peer.id, name: h?.name ?? '?', transport,
    ...(cred ? { pid: cred.pid } : {}),
    ...(cred?.uid !== undefined ? { uid: cred.uid } : {}),
    ...(cred?.gid !== undefined ? { gid: cred.gid } : {}),
    ...(h ? { claimedPid: h.pid } : {}),
  };
}
