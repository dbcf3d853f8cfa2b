/** One connection as the router sees it: its HELLO, its subscriptions, its flow state. */
import type { CloseReason, Connection, PeerCredentials } from '../../transports/transport.js';
import type { Hello, Pub } from '../protocol/messages.js';
import type { PeerGrant } from '../policy/gate.js';
import type { Rule } from '../policy/types.js';
import type { PeerOutbox } from './peer-outbox.js';
import type { ClaimedPub } from './local-route.js';

/** How the router hands PUBs to the hub's own bus without a copy or a second decode. */
export interface LocalDelivery {
  deliver(pub: Pub): void;
  deliverQueued(pub: Pub, sids: readonly number[]): void;
  /** The publish a frame read from the hub bus's link stands for (./local-route.ts), if any. */
  claim?(frame: Uint8Array): ClaimedPub | undefined;
}

/** A subscription held by the router: which peer, which of its sids, which pattern and group. */
export interface SubEntry {
  readonly peer: RouterPeer;
  readonly sid: number;
  readonly pattern: string;
  readonly queue: string | undefined;
  /** Policy: deny rules that overlap this subscription; topics they match are not delivered to it. */
  except?: readonly Rule[] | undefined;
}

export class RouterPeer {
  readonly id: string;
  readonly conn: Connection;
  hello: Hello | undefined;
  readonly subs = new Map<number, SubEntry>();
  /** Last route this peer was written by (dedupes deliveries: once per connection). */
  stamp = 0;
  saidBye = false;
  /** Policy: who this peer is and what it may do (undefined: no policy, or the hub's own bus). */
  grant: PeerGrant | undefined;
  /**
   * Largest frame the router sends this peer: the smaller of its connection's limit and the
   * `maxFrameSize` it announced in HELLO. Larger frames are skipped and counted in `dropped`.
   */
  frameLimit: number;
  /** Frames skipped because they exceeded `frameLimit`. */
  dropped = 0;
  /** Set once the router gave up on this peer (ERR sent, close under way): why, for `peer-left`. */
  failure: { readonly reason: CloseReason; readonly error: Error } | undefined;
  /** Proven identity (`provenPeer(conn)`), read once when it says HELLO. */
  credentials: PeerCredentials | undefined;
  /** Every frame for this peer goes through it (set by the router right after construction). */
  outbox!: PeerOutbox;
  /** Set when it was dropped as a slow consumer: its end is reported with this error. */
  slowError: Error | undefined;

  readonly local: LocalDelivery | undefined;

  constructor(id: string, conn: Connection, local?: LocalDelivery) {
    this.id = id;
    this.conn = conn;
    this.local = local;
    this.frameLimit = conn.maxFrameSize;
  }
}
