/**
 * `memory://name`: an in-process hub, for tests and same-process wiring. It keeps the whole
 * Transport contract (frames copied on send so the sender may reuse its buffers, FIFO,
 * backpressure when the receiver stops reading, `close()` delivers what was accepted), so code
 * tested on it behaves the same on kernel transports.
 * @module
 */
import { HubRunningError, PeerGoneError } from '../../errors.js';
import { AcceptQueue } from '../shared/accept-queue.js';
import { commonOptions, parseUrl, validateName } from '../shared/url.js';
import { BaseConnection } from '../connection-base.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Connection, Listener, PeerCredentials, PeerInfo, Transport, TransportOptions } from '../transport.js';
import type { PeerProver } from '../capabilities.js';

/** Frames, and bytes, in flight to one side before `write()` reports full. */
const HIGH_WATER_FRAMES = 4096;
const HIGH_WATER_BYTES = 8 * 1024 * 1024;

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'pid',
  durable: false,
  peerDeathEvents: false,
  crossProcess: false,
  spawnsClients: false,
};

/** Hubs of this process by name; an instance map, not configuration. */
const hubs = new Map<string, MemoryListener>();

/** How a pair carries frames. */
export interface MemoryPairOptions {
  /**
   * Frames handed to `send()` are never changed afterwards (true for the bus's own encoder,
   * which cuts frames from slabs it never rewrites): single-chunk frames are then passed on
   * without a copy. Default false: every frame is copied.
   */
  readonly immutableFrames?: boolean;
  /**
   * Deliver at the end of the current turn (process.nextTick) rather than on setImmediate:
   * lower latency for a hub's own bus. Every 64th turn still yields to I/O.
   */
  readonly sameTurn?: boolean;
}

class MemoryConnection extends BaseConnection implements PeerProver {
  other!: MemoryConnection;
  options: MemoryPairOptions = {};
  #turns = 0;
  #inbox: Uint8Array[] = [];
  #inboxBytes = 0;
  #gone = false;

  override get peer(): PeerInfo {
    return { pid: process.pid };
  }

  /** The peer is this very process. */
  get peerCredentials(): PeerCredentials {
    return { pid: process.pid, uid: process.getuid?.(), gid: process.getgid?.(), source: 'process' };
  }

  protected writeChunks(chunks: readonly Uint8Array[], size: number): boolean {
    if (this.options.immutableFrames && chunks.length === 1) return this.other.#accept(chunks[0]!);
    const frame = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      frame.set(c, at);
      at += c.length;
    }
    return this.other.#accept(frame);
  }

  /** Bytes the other side wrote here that are not yet delivered. */
  get undelivered(): number {
    return this.#inboxBytes;
  }

  #accept(frame: Uint8Array): boolean {
    this.#inbox.push(frame);
    this.#inboxBytes += frame.length;
    this.#schedule();
    return this.#hasRoom();
  }

  #hasRoom(): boolean {
    return this.#inbox.length < HIGH_WATER_FRAMES && this.#inboxBytes < HIGH_WATER_BYTES;
  }

  #schedule(): void {
    if (this.readScheduled || !this.reading) return;
    this.scheduleRead(this.options.sameTurn && (++this.#turns & 63) !== 0);
  }

  /** Delivers what the other side wrote (run by `scheduleRead()`). */
  protected override readTurn(): void {
    let n = 0;
    while (this.reading && n < this.#inbox.length) {
      const frame = this.#inbox[n++]!;
      this.#inboxBytes -= frame.length;
      this.deliver(frame);
    }
    this.#inbox = this.#inbox.slice(n);
    if (n > 0 && this.#hasRoom()) this.other.notifyWritable();
    if (this.#inbox.length > 0) this.#schedule();
    else if (this.#gone) this.mediumEnded({ reason: 'peer-gone' });
  }

  protected override readStart(): void {
    this.#schedule();
  }

  /** The other side finished: deliver what it sent, then end. */
  peerClosed(): void {
    this.#gone = true;
    if (this.#inbox.length === 0 || !this.isOpen) this.mediumEnded({ reason: 'peer-gone' });
    else this.#schedule();
  }

  protected async release(): Promise<void> {
    this.other.peerClosed();
  }
}

/**
 * Bytes written *to* `conn` (by its other end) and not yet delivered by it; 0 for anything but
 * a memory connection. The hub's own bus reads it of its router's end: 0 means the router has
 * taken everything the bus sent (../../bus/hub/own-now.ts).
 */
export function undeliveredBytes(conn: Connection): number {
  return conn instanceof MemoryConnection ? conn.undelivered : 0;
}

/** Two connected in-process connections (also how a hub's own bus reaches its router). */
export function memoryPair(maxFrameSize: number, options: MemoryPairOptions = {}): [Connection, Connection] {
  const [a, b] = pair(maxFrameSize);
  a.options = options;
  b.options = options;
  return [a, b];
}

function pair(maxFrameSize: number): [MemoryConnection, MemoryConnection] {
  const a = new MemoryConnection(maxFrameSize);
  const b = new MemoryConnection(maxFrameSize);
  a.other = b;
  b.other = a;
  return [a, b];
}

class MemoryListener implements Listener {
  readonly url: string;
  readonly name: string;
  readonly maxFrameSize: number;
  readonly accepted = new AcceptQueue();
  #closing: Promise<void> | undefined;

  constructor(url: string, name: string, maxFrameSize: number) {
    this.url = url;
    this.name = name;
    this.maxFrameSize = maxFrameSize;
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      hubs.delete(this.name);
      this.accepted.end();
      await this.accepted.closeAll();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function nameOf(url: string): string {
  const u = parseUrl(url, 'memory');
  return validateName(u.host || u.pathname.replace(/^\/+/, ''), url);
}

async function listen(url: string, options: TransportOptions = {}): Promise<Listener> {
  const name = nameOf(url);
  if (hubs.has(name)) throw new HubRunningError(url, 'this process already has a hub of that name');
  const listener = new MemoryListener(url, name, commonOptions(url, options).maxFrameSize);
  hubs.set(name, listener);
  return listener;
}

async function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  const name = nameOf(url);
  const { maxFrameSize } = commonOptions(url, options); // a bad URL is told as such, hub or not
  const hub = hubs.get(name);
  if (!hub) throw new PeerGoneError(`no memory hub named ${name} in this process`);
  const [client, server] = pair(Math.min(hub.maxFrameSize, maxFrameSize));
  hub.accepted.push(server);
  return client;
}

/** The `memory:` transport. */
export const memoryTransport: Transport = { scheme: 'memory', capabilities, listen, connect };
