/**
 * Request/reply bookkeeping: one inbox subscription per bus (`_INBOX.<busId>.*`), a pending
 * entry per request with its timeout and AbortSignal, and the no-responders notice that the hub
 * (or NATS) sends to the inbox when nobody serves the topic.
 * @module
 */
import { AbortedError, NoRespondersError, PolicyDeniedError, RequestFailedError, TimeoutError } from '../errors.js';
import { RULE_HEADER, STATUS_PERMISSION_DENIED } from './policy/denied-frame.js';
import type { Codec } from '../codecs/index.js';
import { STATUS_HEADER, STATUS_NO_RESPONDERS, type Fabric, type FabricSubscription, type WireMessage } from './fabric.js';
import type { RequestOptions } from './bus-options.js';

/** Header a server sets on an error reply; the requester rejects with `RequestFailedError`. */
export const STATUS_ERROR = 'error';

interface Pending {
  topic: string;
  resolve: (m: WireMessage) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class RequestTracker {
  readonly inboxPrefix: string;
  readonly #pending = new Map<string, Pending>();
  #next = 1;
  /** The bus's inbox subscription, made by the first request. */
  #inbox: FabricSubscription | undefined;

  constructor(busId: string) {
    this.inboxPrefix = `_INBOX.${busId}`;
  }

  /** The pattern the bus subscribes to once, lazily. */
  get inboxPattern(): string {
    return `${this.inboxPrefix}.*`;
  }

  /**
   * Sends a request through `fabric` and resolves with its reply. The value is encoded before the
   * request is registered: a value the codec refuses rejects this call and leaves nothing pending
   * (before, its entry timed out later with nobody listening: an unhandled rejection).
   */
  async send(fabric: Fabric, codec: Codec, topic: string, value: unknown, options: RequestOptions): Promise<WireMessage> {
    const payload = codec.encode(value);
    this.#inbox ??= fabric.subscribe(this.inboxPattern, (m) => this.deliver(m));
    const { replyTo, reply } = this.start(topic, options.timeout ?? 5000, options.signal);
    try {
      await fabric.publish({
        topic, codec: codec.id, payload, replyTo,
        ...(options.headers !== undefined ? { headers: options.headers } : {}),
      });
    } catch (err) {
      this.fail(replyTo, err as Error);
    }
    return reply;
  }

  /** Registers a request; returns its reply topic and the promise of its reply. */
  start(topic: string, timeout: number, signal?: AbortSignal): { replyTo: string; reply: Promise<WireMessage> } {
    if (signal?.aborted) throw new AbortedError(`request ${topic}`, signal.reason);
    const replyTo = `${this.inboxPrefix}.${this.#next++}`;
    const reply = new Promise<WireMessage>((resolve, reject) => {
      const p: Pending = {
        topic, resolve, reject, signal,
        timer: setTimeout(() => this.#settle(replyTo, new TimeoutError(`request ${topic}`, timeout)), timeout),
        onAbort: () => this.#settle(replyTo, new AbortedError(`request ${topic}`, signal?.reason)),
      };
      signal?.addEventListener('abort', p.onAbort, { once: true });
      this.#pending.set(replyTo, p);
    });
    return { replyTo, reply };
  }

  /** Hands an inbox message to its request. */
  deliver(m: WireMessage): void {
    const status = m.headers?.[STATUS_HEADER];
    const p = this.#pending.get(m.topic);
    if (!p) return;
    if (status === STATUS_NO_RESPONDERS) this.#settle(m.topic, new NoRespondersError(p.topic));
    else if (status === STATUS_PERMISSION_DENIED) {
      this.#settle(m.topic, new PolicyDeniedError('publish', p.topic, m.headers?.[RULE_HEADER] ?? '?'));
    }
    else if (status === STATUS_ERROR) {
      this.#settle(m.topic, new RequestFailedError(p.topic, new TextDecoder().decode(m.payload)));
    } else this.#settle(m.topic, undefined, m);
  }

  /** Fails a request that could not be sent. */
  fail(replyTo: string, err: Error): void {
    this.#settle(replyTo, err);
  }

  /** Rejects every pending request (the bus is closing). */
  rejectAll(err: Error): void {
    for (const key of [...this.#pending.keys()]) this.#settle(key, err);
  }

  get size(): number {
    return this.#pending.size;
  }

  #settle(replyTo: string, err?: Error, m?: WireMessage): void {
    const p = this.#pending.get(replyTo);
    if (!p) return;
    this.#pending.delete(replyTo);
    clearTimeout(p.timer);
    p.signal?.removeEventListener('abort', p.onAbort);
    if (err) p.reject(err);
    else p.resolve(m!);
  }
}

/**
 * Runs a request handler and publishes its result to `replyTo`, or its error (header
 * `unibus-status: error`, the message as a raw payload). Never rejects: when even the reply
 * cannot be sent (this bus is closing), there is nobody left to tell.
 */
export async function answer(fabric: Fabric, codec: Codec, replyTo: string, run: () => unknown): Promise<void> {
  let reply: WireMessage;
  try {
    const result = await run();
    reply = { topic: replyTo, codec: codec.id, payload: codec.encode(result) };
  } catch (err) {
    const text = new TextEncoder().encode(err instanceof Error ? err.message : String(err));
    reply = { topic: replyTo, codec: 0, payload: text, headers: { [STATUS_HEADER]: STATUS_ERROR } };
  }
  try {
    await fabric.publish(reply);
  } catch {
    // The requester times out; this process is closing its bus.
  }
}
