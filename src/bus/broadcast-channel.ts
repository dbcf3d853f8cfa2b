/**
 * A `BroadcastChannel` across processes: shaped like the web API (`postMessage`, `onmessage`,
 * `addEventListener('message')`, `close`), carried by a Bus over any URL, so code written for
 * workers and browsers runs across processes.
 *
 * Semantics, as on the web: every other channel of the same name receives each message (other
 * objects in this process too), the posting object does not; messages from one poster arrive in
 * order; `postMessage` after `close()` throws `InvalidStateError`. Unlike the web, values are
 * copied with the bus codec (msgpack by default: plain objects, arrays, strings, numbers,
 * binary, Date), not structured clone; an undecodable message fires `messageerror`.
 *
 * A hub must serve the URL (`unibus hub <url>`, or `Bus.listen` in some process); or pass a
 * bus you already have as `bus` (it is not closed by `close()`).
 *
 * @example
 * ```ts
 * import { BroadcastChannel } from 'unibus';
 * const channel = new BroadcastChannel('cache', { url: 'unix:///tmp/app.sock' });
 * channel.onmessage = (event) => console.log('invalidate', event.data);
 * channel.postMessage({ key: 'user:7' });
 * // later
 * channel.close();
 * ```
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Subscription as RxSubscription } from 'rxjs';
import { Bus } from './bus.js';
import type { Message } from './types.js';

/** Options of {@link BroadcastChannel}. */
export interface BroadcastChannelOptions {
  /** Hub URL (default: `process.env.UNIBUS_URL`). Ignored when `bus` is given. */
  url?: string;
  /** A bus to carry the channel; it stays open after `close()`. */
  bus?: Bus;
}

/** Header naming the posting channel object, so it does not receive its own messages. */
const SENDER = 'unibus-bc-sender';

type Handler = ((this: BroadcastChannel, event: MessageEvent) => unknown) | null;

export class BroadcastChannel extends EventTarget {
  /** The channel name (any string). */
  readonly name: string;
  /** Called for each message (besides `addEventListener('message')` listeners). */
  onmessage: Handler = null;
  /** Called for a message that could not be decoded. */
  onmessageerror: Handler = null;
  /**
   * Resolves once the channel is subscribed at the hub (messages posted by others from then on
   * arrive); rejects when the hub cannot be reached (also fired as an `error` event).
   */
  readonly ready: Promise<void>;
  readonly #id = randomBytes(8).toString('hex');
  /** Every post carries our id (to skip our own messages): one options object for all of them. */
  readonly #publishOptions = { headers: { [SENDER]: this.#id } };
  readonly #topic: string;
  readonly #ownBus: boolean;
  #bus: Bus | undefined;
  #sub: RxSubscription | undefined;
  #events: RxSubscription | undefined;
  #pending: unknown[] = [];
  #closed = false;
  #resolveClosed!: () => void;
  /** Resolves once `close()` has sent what was posted and released the bus (unibus extra). */
  readonly closed: Promise<void> = new Promise((resolve) => { this.#resolveClosed = resolve; });

  constructor(name: string, options: BroadcastChannelOptions = {}) {
    super();
    if (arguments.length === 0) throw new TypeError('BroadcastChannel needs a name');
    this.name = String(name);
    // Any string is a name: base64url keeps it one valid topic token.
    this.#topic = `$bc.n${Buffer.from(this.name).toString('base64url')}`;
    this.#ownBus = options.bus === undefined;
    this.ready = this.#open(options);
    this.ready.catch((error: unknown) => {
      this.dispatchEvent(Object.assign(new Event('error'), { error }));
    });
  }

  async #open(options: BroadcastChannelOptions): Promise<void> {
    const bus = options.bus ?? await Bus.connect(options.url);
    this.#bus = bus;
    if (this.#closed) {
      if (this.#ownBus) await bus.close();
      return;
    }
    this.#sub = bus.subscribe(this.#topic).subscribe((m) => this.#receive(m));
    this.#events = bus.events.subscribe((e) => {
      if (e.type === 'bad-payload' && e.topic === this.#topic) this.#fire('messageerror', undefined);
    });
    await bus.flush();
    const pending = this.#pending;
    this.#pending = [];
    for (const data of pending) this.#send(data);
  }

  /** Sends `message` to every other channel of this name. */
  postMessage(message: unknown): void {
    if (this.#closed) throw new DOMException('BroadcastChannel is closed', 'InvalidStateError');
    if (this.#bus === undefined || this.#pending.length > 0) this.#pending.push(message);
    else this.#send(message);
  }

  /** Stops receiving; messages already posted are still sent. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void (async () => {
      await this.ready.catch(() => undefined);
      this.#sub?.unsubscribe();
      this.#events?.unsubscribe();
      if (this.#ownBus) await this.#bus?.close();
      else await this.#bus?.flush().catch(() => undefined);
    })().finally(() => this.#resolveClosed());
  }

  #send(data: unknown): void {
    this.#bus!.publish(this.#topic, data, this.#publishOptions).catch((error: unknown) => {
      this.dispatchEvent(Object.assign(new Event('error'), { error }));
    });
  }

  #receive(m: Message): void {
    if (this.#closed || m.headers?.[SENDER] === this.#id) return;
    this.#fire('message', m.data);
  }

  #fire(type: 'message' | 'messageerror', data: unknown): void {
    const event = new MessageEvent(type, { data });
    const handler = type === 'message' ? this.onmessage : this.onmessageerror;
    if (handler) handler.call(this, event);
    this.dispatchEvent(event);
  }
}
