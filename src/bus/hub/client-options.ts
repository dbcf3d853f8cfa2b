/**
 * Options of a hub client (./client.ts), in their own file so that the client holds the protocol
 * flow only. The hub fabric (./hub-fabric.ts) fills them from `BusOptions` and the transport.
 * @module
 */
import type { Closed } from '../../transports/transport.js';
import type { DirectRoute } from './local-route.js';

export interface ClientOptions {
  name: string;
  busId: string;
  transport: string;
  helloTimeout?: number;
  /**
   * The transport keeps frames across crashes (`file://`): `publish()` then resolves once the
   * frame is in the medium (the connection's `drained()`), not when it is accepted in memory,
   * so a process killed right after a publish resolved loses nothing.
   */
  durable?: boolean;
  /**
   * Called when the connection ends without `close()`. Returns true when the owner will
   * `reattach` a new one: pending flushes then wait for it instead of failing.
   */
  onLost?: (closed: Closed) => boolean;
  /**
   * Called when a new hub continued this connection's session after the old one died (a durable
   * transport's resume: the hub says HELLO again on the same connection). Nothing was lost.
   */
  onResumed?: () => void;
  /** The hub's own bus: publishes reach the router by reference (./local-route.ts). */
  direct?: DirectRoute;
}
