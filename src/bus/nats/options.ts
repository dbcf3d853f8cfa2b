/**
 * Options of NatsFabric: what users may set, the defaults, and the checked limits the fabric
 * works with. Bad values are refused before anything connects.
 * @module
 */
import type { FabricStats } from '../fabric.js';

/** Options of NatsFabric.connect; where the URL's query says the same thing, these win. */
export interface NatsFabricOptions {
  /** Client name shown by the server's monitoring (default: the URL's `name` or `unibus`). */
  readonly name?: string;
  /** Bytes of messages held while disconnected before `publish()` waits (default 8 MiB). */
  readonly reconnectBufferSize?: number;
  /** Bytes sent but not yet confirmed by the server before `publish()` waits (default 4 MiB). */
  readonly maxPendingBytes?: number;
  /** Longest a `publish()` waits for room while disconnected, in ms (default 10 000). */
  readonly maxStall?: number;
  /** Delay between reconnect attempts to one server, in ms (default 250). */
  readonly reconnectTimeWait?: number;
  /** Reconnect attempts per server before it is dropped; -1 never gives up (default -1). */
  readonly maxReconnectAttempts?: number;
  /** Timeout of the first connection, in ms (default 5000). */
  readonly connectTimeout?: number;
  /** Shuffle the server list (default true, as NATS does; `?randomize=false` in the URL). */
  readonly randomize?: boolean;
  /** Codec id assumed for messages without a `unibus-codec` header (default 0, raw). */
  readonly foreignCodec?: number;
  /** Longest `close()` waits to flush accepted messages, in ms (default 5000). */
  readonly closeTimeout?: number;
  /** Largest payload accepted (default and ceiling: the server's `max_payload`, 1 MiB by default). */
  readonly maxFrameSize?: number;
  /**
   * Bytes of received messages held in this process while the Bus has paused the fabric (an
   * iterator with `overflow: 'wait'` is full) before further messages are dropped as a slow
   * consumer (default 32 MiB, as a hub's `maxPendingBytes`).
   */
  readonly maxPausedBytes?: number;
}

/** Counters of a NatsFabric: the Fabric's, plus what waited or was dropped around reconnects. */
export interface NatsFabricStats extends FabricStats {
  /** Messages held now because the fabric is disconnected. */
  readonly held: number;
  /** Messages held while disconnected that close() dropped. */
  readonly droppedOnClose: number;
  /** Received messages waiting now because the Bus paused the fabric (`overflow: 'wait'`). */
  readonly paused: number;
  /** Received messages dropped because more than `maxPausedBytes` waited. */
  readonly droppedWhilePaused: number;
}

/** The checked limits a NatsFabric works with. */
export interface Limits {
  readonly reconnectBufferSize: number;
  readonly maxPendingBytes: number;
  readonly maxStall: number;
  readonly foreignCodec: number;
  readonly closeTimeout: number;
  readonly maxFrameSize: number;
  readonly maxPausedBytes: number;
}

const MiB = 1024 * 1024;

/** Defaults and checks (RangeError for a bad value); `urlCodec` is the URL's `codec`. */
export function resolveLimits(options: NatsFabricOptions, urlCodec: number | undefined): Limits {
  const foreignCodec = options.foreignCodec ?? urlCodec ?? 0;
  if (!Number.isInteger(foreignCodec) || foreignCodec < 0 || foreignCodec > 255) {
    throw new RangeError(`foreignCodec must be a codec id 0..255: got ${foreignCodec}`);
  }
  return {
    reconnectBufferSize: positive('reconnectBufferSize', options.reconnectBufferSize ?? 8 * MiB),
    maxPendingBytes: positive('maxPendingBytes', options.maxPendingBytes ?? 4 * MiB),
    maxStall: positive('maxStall', options.maxStall ?? 10_000),
    foreignCodec,
    closeTimeout: positive('closeTimeout', options.closeTimeout ?? 5000),
    maxFrameSize: positive('maxFrameSize', options.maxFrameSize ?? Number.MAX_SAFE_INTEGER),
    maxPausedBytes: positive('maxPausedBytes (the Bus option maxPendingBytes)', options.maxPausedBytes ?? 32 * MiB),
  };
}

function positive(name: string, value: number): number {
  if (!(typeof value === 'number' && value > 0)) throw new RangeError(`${name} must be a positive number: got ${value}`);
  return value;
}
