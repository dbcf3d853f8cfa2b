/**
 * The `t-<scheme>` cases: a unibus Transport's Connection used directly, without the Bus, with
 * each value packed by msgpackr exactly as the `net-msgpackr` baseline does. Set beside the
 * Bus case of the same scheme, it separates what the transport costs from what the bus
 * protocol (envelopes, routing, dispatch) adds; set beside `net-msgpackr`, it shows what the
 * transport costs against a hand-written socket.
 *
 * Sending uses the fast path `write()` / `drained()`; receiving uses push mode `consume()`.
 * @module
 */
import { Packr, Unpackr } from 'msgpackr';
import { transportFor } from '../../src/transports/registry.js';
import type { Connection, Listener } from '../../src/transports/transport.js';
import { canSpawn } from '../../src/transports/capabilities.js';
import type { CaseSpec, ChildCommand, Link, LinkFactory, ParentEnd } from '../link.js';
import { Inbox, spawnSide } from './spawn.js';

class ConnectionLink implements Link {
  readonly #conn: Connection;
  readonly #packr = new Packr({ useRecords: false });
  readonly #unpackr = new Unpackr({ useRecords: false });
  readonly #inbox = new Inbox();

  constructor(conn: Connection) {
    this.#conn = conn;
    conn.consume((frame) => this.#inbox.deliver(this.#unpackr.unpack(frame)));
  }

  send(value: unknown): boolean {
    // msgpackr never overwrites a buffer it returned, so the frame stays intact until written.
    return this.#conn.write(this.#packr.pack(value));
  }

  drained(): Promise<void> {
    return this.#conn.drained();
  }

  onMessage(handler: (value: unknown) => void): void {
    this.#inbox.set(handler);
  }

  close(): Promise<void> {
    return this.#conn.close();
  }
}

async function firstConnection(listener: Listener): Promise<Connection> {
  for await (const conn of listener) return conn;
  throw new Error(`${listener.url}: the listener closed before a client connected`);
}

export const transportLink: LinkFactory = {
  payloadKind: 'bytes',

  async parent(spec: CaseSpec, child: ChildCommand): Promise<ParentEnd> {
    const url = spec.url!;
    const transport = await transportFor(url);
    const listener = await transport.listen(url);
    const accepted = firstConnection(listener);
    let otherDone: Promise<unknown>;
    let sameProcess = false;
    if (!transport.capabilities.crossProcess) {
      sameProcess = true;
      const { respond } = await import('../protocol.js');
      const peer = new ConnectionLink(await transport.connect(url));
      otherDone = respond(peer, spec, 'bytes').then(() => peer.close());
    } else if (transport.capabilities.spawnsClients) {
      if (!canSpawn(listener)) throw new Error(`${url}: spawnsClients, but the listener has no spawn()`);
      otherDone = listener.spawn(child.command, child.args, { stdio: 'inherit' }).exited;
    } else {
      otherDone = spawnSide(child).exited;
    }
    const died = otherDone.then((code) => { throw new Error(`${url}: the child ended before connecting: ${String(code)}`); });
    died.catch(() => { /* it ends normally after bye */ });
    const link = new ConnectionLink(await Promise.race([accepted, died]));
    return {
      link,
      sameProcess,
      otherDone,
      async close() {
        await link.close();
        await listener.close();
      },
    };
  },

  async child(spec: CaseSpec): Promise<Link> {
    const transport = await transportFor(spec.url!);
    return new ConnectionLink(await transport.connect(spec.url!));
  },
};
