/**
 * URL → Fabric: `nats:` goes to NatsFabric (the NATS server routes), every other scheme to
 * HubFabric over the transport registered for it. This choice lives in the bus layer, so the
 * transport registry knows only transports.
 * @module
 */
import { InvalidUrlError, PermissionDeniedError, isSystemError } from '../errors.js';
import { schemeOf } from '../transports/registry.js';
import type { Fabric } from './fabric.js';
import { HubFabric, type HubFabricOptions } from './hub/hub-fabric.js';
import { checkPolicyTransport } from './policy/gate.js';

/** Module of the NATS fabric, loaded only for `nats:` URLs. */
const NATS_MODULE = './nats/index.js';

export async function openFabric(url: string, role: 'listen' | 'connect', options: HubFabricOptions): Promise<Fabric> {
  const scheme = schemeOf(url);
  // A policy is enforced only where the kernel proves who each peer is: refused anywhere else.
  if (role === 'listen' && options.policy) checkPolicyTransport(scheme);
  if (scheme === 'nats' || scheme === 'tls') {
    let mod: { openNatsFabric?: (url: string, options: HubFabricOptions) => Promise<Fabric> };
    try {
      mod = await import(NATS_MODULE);
    } catch (err) {
      throw new InvalidUrlError(url, `the NATS fabric is not available: ${(err as Error).message}`);
    }
    // With NATS the server routes: `listen` is just one more client (its bus has isHub false).
    return mod.openNatsFabric!(url, options);
  }
  if (role === 'listen') return HubFabric.listen(url, options);
  return HubFabric.connect(url, options).catch((err: unknown) => { throw accessRefused(url, err); });
}

/**
 * A connect the kernel refused (EACCES/EPERM on the hub's socket, FIFO, queue or segment) as a
 * typed error that says why: a hub's objects are owner-only unless it lets other users in. The
 * system error stays as its `cause`.
 */
function accessRefused(url: string, err: unknown): unknown {
  if (!isSystemError(err, 'EACCES') && !isSystemError(err, 'EPERM')) return err;
  return new PermissionDeniedError(`connect to ${url}: ${err.message} (a hub's objects are owner-only: another `
    + 'user connects to a hub with allowOtherUsers, or to a unix:// hub with a policy; docs/security.md)', { cause: err });
}
