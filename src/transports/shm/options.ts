/**
 * `shm://name?size=4MiB&api=posix&spin=0`: parsing, defaults, and the names of every object a
 * hub of that name owns (all under /dev/shm, all starting with {@link ShmNames.prefix}).
 * @module
 */
import { InvalidUrlError } from '../../errors.js';
import { checkQueryParameters, commonOptions, parseSize, parseUrl, validateName } from '../shared/url.js';
import { decodeUrlPart } from '../shared/url-decode.js';
import type { TransportOptions } from '../transport.js';
import { DEFAULT_CAPACITY, MAX_CAPACITY, MIN_CAPACITY } from './layout.js';

/** Which shared-memory API makes the ring segments. */
export type ShmApi = 'posix' | 'sysv';

/** Everything a shm endpoint needs to know, normalised. */
export interface ShmOptions {
  readonly url: string;
  readonly name: string;
  /** Bytes of each ring's data area (a power of two). */
  readonly capacity: number;
  readonly api: ShmApi;
  /**
   * Microseconds a reader keeps polling its emptied ring (after traffic; in bounded slices shared by
   * every spinning reader of the process, yielding the core at each empty pass: ./spinner.ts)
   * before it parks; 0 parks at once. Also: a sender with spin rings
   * a parked reader at each commit instead of at the end of its turn. Default {@link DEFAULT_SPIN_MICROS}.
   */
  readonly spinMicros: number;
  readonly maxFrameSize: number;
  readonly mode: number;
  readonly connectTimeout: number;
  /** A peer whose heartbeat word stands still this long (ms) is gone; 0: only its pid counts. */
  readonly peerTimeout: number;
  readonly allowOtherUsers: boolean;
  readonly signal: AbortSignal | undefined;
}

/** Reads a shm URL and code options (query parameters win). Throws InvalidUrlError / RangeError. */
export function parseShmUrl(url: string, options: TransportOptions = {}): ShmOptions {
  const parsed = parseUrl(url, 'shm');
  if (parsed.pathname !== '' && parsed.pathname !== '/') {
    throw new InvalidUrlError(url, 'expected shm://name (a name, not a path; no "/")');
  }
  const name = validateName(decodeUrlPart(parsed.host, url, 'name'), url);
  const q = parsed.searchParams;
  checkQueryParameters(url);
  const sizeText = q.get('size');
  const capacity = sizeText !== null ? parseSize(sizeText, url, 'size')
    : typeof options.size === 'number' ? options.size : DEFAULT_CAPACITY;
  if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
    throw new InvalidUrlError(url, `size must be a power of two from 4KiB to 1GiB (got size=${capacity})`);
  }
  const api = (q.get('api') ?? (options.api as string | undefined) ?? 'posix');
  if (api !== 'posix' && api !== 'sysv') throw new InvalidUrlError(url, `api must be posix or sysv (got api=${api})`);
  const spinMicros = q.get('spin') === null && options.spin === undefined ? DEFAULT_SPIN_MICROS
    : integer(url, 'spin', q.get('spin'), options.spin, 0, 1_000_000);
  const peerTimeout = integer(url, 'peerTimeout', q.get('peerTimeout'), options.peerTimeout, 0, 3_600_000);
  const { maxFrameSize, mode } = commonOptions(url, options);
  return {
    url,
    name,
    capacity,
    api,
    spinMicros,
    maxFrameSize,
    mode,
    connectTimeout: options.connectTimeout ?? 5000,
    peerTimeout,
    allowOtherUsers: options.allowOtherUsers === true,
    signal: options.signal,
  };
}

/**
 * Default polling time (µs) before an emptied ring parks its reader: none. Measured on the shared
 * 2-vCPU VMs: a 20 µs grace did not lower CPU per message at 64 B or 64 KiB (a streaming writer
 * rings a parked reader at most once per turn or per 64 KiB, so parks are rare), and it doubled
 * the ping-pong p50 on a loaded machine (a polling process loses the scheduler's wake-up
 * preference: 50-63 µs against 23-25 µs parked). `spin=µs` buys latency where cores are idle.
 */
export const DEFAULT_SPIN_MICROS = 0;

function integer(url: string, key: string, text: string | null, option: unknown, min: number, max: number): number {
  const value = text !== null ? Number(text) : typeof option === 'number' ? option : 0;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidUrlError(url, `${key} must be an integer from ${min} to ${max} (got ${key}=${text ?? String(option)})`);
  }
  return value;
}

/** A client's id inside a hub name: `<pid base36>-<counter>-<8 hex>`. */
export const CLIENT_ID = /^[0-9a-z]{1,8}-[0-9]{1,9}-[0-9a-f]{8}$/;

/** Names of the objects of hub `name`. `~` never occurs in a name, so the prefix is unambiguous. */
export class ShmNames {
  /** Every object of this hub starts with this (a /dev/shm entry name). */
  readonly prefix: string;
  constructor(readonly name: string) {
    this.prefix = `unibus-shm.${name}~`;
  }
  /** The path the hub liveness lock guards (nothing is created there). */
  get livenessPath(): string {
    return `/dev/shm/${this.prefix}hub`;
  }
  /** The hub's announce FIFO: clients write one line `<client id> <sysv id or ->`. */
  get announce(): string {
    return `/dev/shm/${this.prefix}announce`;
  }
  /** shm_open name of a client's POSIX segment. */
  segment(clientId: string): string {
    return `/${this.prefix}${clientId}`;
  }
  /** The doorbell FIFO that `side` sleeps on. */
  bell(clientId: string, side: 'hub' | 'client'): string {
    return `/dev/shm/${this.prefix}${clientId}.${side === 'hub' ? 'h' : 'c'}bell`;
  }
}
