/**
 * `file:///dir`: a durable spool transport. Clients append frames to their channel's `up` log
 * and read `down` as a named consumer (`?consumer=NAME`); the hub reads every `up` and appends
 * to `down`. Frames carry a length and two CRC-32s; a torn tail is cut; offsets are committed
 * in the spool, so after a crash of any process every accepted frame is delivered, in order,
 * at least once. See docs/spool.md.
 *
 * @example
 * ```ts
 * const hub = await spoolTransport.listen('file:///var/spool/app');
 * const client = await spoolTransport.connect('file:///var/spool/app?consumer=worker-1');
 * await client.send(new TextEncoder().encode('hello'));
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Connection, Listener, Transport, TransportOptions } from '../transport.js';
import { prepareSpoolDir } from './spool-dir.js';
import { SpoolClientConnection } from './spool-client.js';
import { SpoolHub } from './spool-hub.js';
import { spoolOptions } from './spool-options.js';

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'none',
  durable: true,
  // The hub notices a client's death (its lock is dropped); a client does not notice the hub's
  // (its frames wait in the spool) until a new hub announces itself.
  peerDeathEvents: false,
  crossProcess: true,
  spawnsClients: false,
};

async function listen(url: string, options: TransportOptions = {}): Promise<Listener> {
  return new SpoolHub(url, spoolOptions(url, options));
}

async function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  const o = spoolOptions(url, options);
  prepareSpoolDir(o.dir, url);
  const name = o.consumer ?? `anon-${process.pid}-${randomBytes(4).toString('hex')}`;
  return SpoolClientConnection.open(o.dir, name, o.consumer === undefined, o);
}

/** The `file:` transport. */
export const spoolTransport: Transport = { scheme: 'file', capabilities, listen, connect };
