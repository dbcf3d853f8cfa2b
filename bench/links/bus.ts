/**
 * The unibus cases: two Buses through the public API, on any registered URL scheme.
 * The parent is the hub (`Bus.listen(url)`), the other side a client (`Bus.connect(url)`).
 * Parent → child values go on topic `bench.down`, child → parent on `bench.up`; each side
 * consumes its topic with the Observable (push, no promise per message).
 *
 * `send()` publishes without awaiting each promise; after WINDOW publishes, or WINDOW_BYTES of
 * payload, it asks the caller to await the latest one (`publish()` waits while the path is
 * full, so the latest promise covers the earlier ones), as a program that cares about
 * throughput and memory would. The byte bound matters for large payloads: 256 unawaited 1 MiB
 * publishes put 256 MiB in flight, which no transport buffers (the raw socket baseline waits
 * for `drain` at Node's 16 KiB mark), so every frame went to fresh memory. A rejected publish
 * is an unhandled rejection: the measurement fails loudly, as it should.
 *
 * Request/reply: the hub requests on `bench.echo`, the client serves it with an echo.
 *
 * Where the transport starts its clients (`capabilities.spawnsClients`, e.g. `pipe:`), the
 * child is started through the hub (`spawn`), not by the bench.
 * @module
 */
import { Bus } from '../../src/index.js';
import { transportFor } from '../../src/transports/registry.js';
import { payloadSize, type CaseSpec, type ChildCommand, type Link, type LinkFactory, type ParentEnd } from '../link.js';
import { Inbox, spawnSide } from './spawn.js';

const DOWN = 'bench.down';
const UP = 'bench.up';
/** Request/reply: the parent (hub) requests, the child serves an echo. */
const REQUEST = 'bench.echo';
/** Pending publish promises allowed before the sender waits. */
const WINDOW = 256;
/** Payload bytes published without waiting (a stream connection's high-water mark). */
const WINDOW_BYTES = 1024 * 1024;

class BusLink implements Link {
  readonly #bus: Bus;
  readonly #topic: string;
  readonly #inbox = new Inbox();
  readonly #subscription: { unsubscribe(): void };
  #pending = 0;
  #pendingBytes = 0;
  #serving: { close(): void } | undefined;
  #last: Promise<void> | undefined;
  /** The last value sent and its payload size: the protocol sends one value many times, and the
   * raw socket's link counts nothing per send, so neither should this beyond a compare. */
  #sizedValue: unknown = undefined;
  #sizedBytes = 0;

  constructor(bus: Bus, sendTopic: string, receiveTopic: string) {
    this.#bus = bus;
    this.#topic = sendTopic;
    // Why a measurement failed, on stderr (the bench prints it beside the failure).
    bus.events.subscribe((e) => {
      if (e.type === 'slow-consumer' || e.type === 'disconnected') process.stderr.write(`bench: ${e.type}: ${JSON.stringify(e)}\n`);
    });
    this.#subscription = bus.subscribe(receiveTopic).subscribe({
      next: (m: { data: unknown }) => this.#inbox.deliver(m.data),
      error: (e: unknown) => { process.stderr.write(`bench: subscription failed: ${String(e)}\n`); process.exit(1); },
    });
  }

  send(value: unknown): boolean {
    const wait = this.#bus.publish(this.#topic, value);
    this.#last = wait;
    if (value !== this.#sizedValue) {
      this.#sizedValue = value;
      this.#sizedBytes = Math.max(0, payloadSize(value));
    }
    this.#pendingBytes += this.#sizedBytes;
    return ++this.#pending < WINDOW && this.#pendingBytes < WINDOW_BYTES;
  }

  async drained(): Promise<void> {
    const last = this.#last;
    this.#last = undefined;
    this.#pending = 0;
    this.#pendingBytes = 0;
    if (last) await last;
  }

  onMessage(handler: (value: unknown) => void): void {
    this.#inbox.set(handler);
  }

  request(value: unknown): Promise<unknown> {
    return this.#bus.request(REQUEST, value, { timeout: 30_000 });
  }

  /** Answers requests with what they carry. */
  serveEcho(): void {
    this.#serving = this.#bus.serve(REQUEST, (value: unknown) => value);
  }

  /** Waits until the hub has everything sent so far (subscriptions included). */
  flush(): Promise<void> {
    return this.#bus.flush();
  }

  async close(): Promise<void> {
    await this.drained();
    this.#sizedValue = undefined;
    this.#subscription.unsubscribe();
    this.#serving?.close();
    await this.#bus.close();
  }
}

export const busLink: LinkFactory = {
  payloadKind: 'bytes',

  async parent(spec: CaseSpec, child: ChildCommand): Promise<ParentEnd> {
    const url = spec.url!;
    // nats: is a Fabric (the server routes), not a registered transport: a separate process.
    const capabilities = url.startsWith('nats:')
      ? { crossProcess: true, spawnsClients: false }
      : (await transportFor(url)).capabilities;
    const hub = await Bus.listen(url);
    const link = new BusLink(hub, DOWN, UP);
    let otherDone: Promise<unknown>;
    let sameProcess = false;
    if (!capabilities.crossProcess) {
      // memory://: both sides live in this process; the other side runs as a task here.
      sameProcess = true;
      const { respond } = await import('../protocol.js');
      const peer = new BusLink(await Bus.connect(url), UP, DOWN);
      peer.serveEcho();
      await peer.flush();
      otherDone = respond(peer, spec, 'bytes').then(() => peer.close());
    } else if (capabilities.spawnsClients) {
      otherDone = hub.spawn(child.command, child.args, { stdio: 'inherit' }).exited;
    } else {
      otherDone = spawnSide(child).exited;
    }
    return { link, sameProcess, otherDone, close: () => link.close() };
  },

  async child(spec: CaseSpec): Promise<Link> {
    // No reconnecting: a child the hub dropped (under load, a subscriber stalled past the hub's
    // limits is a slow consumer: ERR, then disconnected) must fail the measurement at once. With
    // the default it reconnected, the messages in flight were gone, and both sides waited for
    // counts that never came until the bench's 90 s watchdog, with nothing said.
    const url = spec.url!;
    const link = new BusLink(await Bus.connect(url, url.startsWith('nats:') ? {} : { reconnect: false }), UP, DOWN);
    link.serveEcho();
    // The hub must know our subscription and service before the parent publishes to them.
    await link.flush();
    return link;
  },
};
