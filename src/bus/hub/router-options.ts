/**
 * Options of the hub's router (./router.ts), in their own file so that the router holds the
 * routing only. The hub fabric (./hub-fabric.ts) fills them from `BusOptions`.
 * @module
 */
import type { HubPolicy } from '../policy/hub-policy.js';
import type { HubLimits } from './limits.js';

export interface RouterOptions {
  /** Hub name sent in HELLO. */
  name: string;
  /** Transport scheme, for presence. */
  transport: string;
  /** ms a peer may stay full before it is disconnected (default 5000). */
  maxStall?: number;
  /** Per-connection and hub-wide limits (./limits.ts); `maxStall` above also sets them. */
  limits?: Partial<HubLimits>;
  /** ms a new connection has to send HELLO (default 5000). */
  helloTimeout?: number;
  /** ms between `$sys.stats` messages while someone subscribes (default 1000). */
  statsInterval?: number;
  /** Per-user permissions (docs/security.md); undefined: every peer may do everything. */
  policy?: HubPolicy;
  /** Where publishers' zero-copy pools are named (/dev/shm prefix; shm:// hubs only). */
  poolPrefix?: string;
}
