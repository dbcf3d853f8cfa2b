/** One connection as the router sees it: its HELLO, its subscriptions, its flow state. */
import type { Connection } from '../../transports/transport.js';
import type { Hello, Pub } from '../protocol/messages.js';
import type { PeerOutbox } from './peer-outbox.js';

/** How the router hands PUBs to the hub's own bus without a copy or a second decode. */
export interface LocalDelivery {
  deliver(pub: Pub): void;
  deliverQueued(pub: Pub, sids: readonly number[]): void;
}

/** A subscription held by the router: which peer, which of its sids, which pattern and group. */
export interface SubEntry {
  readonly peer: RouterPeer;
  readonly sid: number;
  readonly pattern: string;
  readonly queue: string | undefined;
}

export class RouterPeer {
  readonly id: string;
  readonly conn: Connection;
  hello: Hello | undefined;
  readonly subs = new Map<number, SubEntry>();
  /** Last route this peer was written by (dedupes deliveries: once per connection). */
  stamp = 0;
  saidBye = false;
  /** Every frame for this peer goes through it (set by the router right after construction). */
  outbox!: PeerOutbox;
  /** Set when it was dropped as a slow consumer: its end is reported with this error. */
  slowError: Error | undefined;

  readonly local: LocalDelivery | undefined;

  constructor(id: string, conn: Connection, local?: LocalDelivery) {
    this.id = id;
    this.conn = conn;
    this.local = local;
  }
}
