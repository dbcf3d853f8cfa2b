/**
 * URL parsing shared by the transports: one place for paths, names, sizes and query options,
 * so every backend rejects bad URLs with the same kind of error.
 * @module
 */
import { isAbsolute } from 'node:path';
import { InvalidUrlError } from '../../errors.js';
import { DEFAULT_MAX_FRAME_SIZE, type TransportOptions } from '../transport.js';
import { decodeUrlPart } from './url-decode.js';

/** Parses `url` and checks its scheme. */
export function parseUrl(url: string, scheme: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidUrlError(url, 'not a URL');
  }
  if (parsed.protocol !== `${scheme}:`) throw new InvalidUrlError(url, `expected scheme ${scheme}:`);
  return parsed;
}

/** The absolute filesystem path of `scheme:///abs/path` URLs. */
export function urlPath(url: string, scheme: string): string {
  const parsed = parseUrl(url, scheme);
  if (parsed.host !== '') {
    throw new InvalidUrlError(url, `expected ${scheme}:///absolute/path (three slashes; got host=${parsed.host})`);
  }
  const path = decodeUrlPart(parsed.pathname, url, 'path');
  if (!isAbsolute(path) || path === '/') throw new InvalidUrlError(url, 'expected an absolute path');
  if (path.includes('\0')) throw new InvalidUrlError(url, 'path contains a NUL byte');
  return path;
}

/** Parses sizes such as `4096`, `64KiB`, `4MiB`, `1GiB` (also k/m/g). */
export function parseSize(text: string, url: string, what: string): number {
  const m = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
  if (!m) throw new InvalidUrlError(url, `${what} must be a size such as 4096, 64KiB or 4MiB (got ${text})`);
  const unit = (m[2] ?? 'b').toLowerCase()[0]!;
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Number(m[1]) * factor;
}

/** A name for kernel objects: letters, digits, `_`, `-`, `.`; no `/`, no `..`, at most 200 chars. */
export function validateName(name: string, url: string): string {
  if (!/^[A-Za-z0-9_.-]{1,200}$/.test(name) || name.includes('..') || name.startsWith('.')) {
    throw new InvalidUrlError(url, `name must be 1-200 of [A-Za-z0-9_.-], no '..' and no leading '.' (got ${JSON.stringify(name)})`);
  }
  return name;
}

/** Smallest `maxFrameSize` accepted: every control frame of the hub protocol fits (HELLO, SUB of a
 * 1024-character pattern, ERR); below it clients could not even say HELLO. */
export const MIN_MAX_FRAME_SIZE = 4096;
/** Largest `maxFrameSize` accepted: 2 GiB - 1, the largest length every framing holds (the shm
 * ring's record header is an int32; the stream framing's u32 and msgpack's bin32 hold more). */
export const MAX_MAX_FRAME_SIZE = 2 ** 31 - 1;

/**
 * The query parameters each built-in scheme accepts: one table, so every scheme rejects an unknown
 * parameter the same way and names the valid ones. A scheme missing here (a third-party
 * transport) is not checked.
 */
export const QUERY_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  unix: ['maxFrameSize'],
  memory: ['maxFrameSize'],
  pipe: ['maxFrameSize', 'pipeSize'],
  fifo: ['maxFrameSize', 'pipeSize'],
  sysvmq: ['maxFrameSize', 'proj'],
  shm: ['maxFrameSize', 'size', 'api', 'spin', 'peerTimeout', 'pool'],
  file: ['maxFrameSize', 'consumer', 'sync', 'segmentSize', 'maxBacklog'],
};

/**
 * Throws `InvalidUrlError` when `url` has a query parameter its scheme does not know (or one given
 * twice), naming the valid ones. Every transport runs it through {@link commonOptions}.
 *
 * @example
 * ```ts
 * checkQueryParameters('unix:///run/app.sock?frob=1');
 * // InvalidUrlError: Invalid URL: unknown parameter frob (valid for unix: maxFrameSize): url=...
 * ```
 */
export function checkQueryParameters(url: string): void {
  if (!URL.canParse(url)) return; // the scheme's own parser says why
  const parsed = new URL(url);
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  const valid = QUERY_PARAMETERS[scheme];
  if (!valid) return;
  const seen = new Set<string>();
  for (const key of parsed.searchParams.keys()) {
    if (!valid.includes(key)) {
      throw new InvalidUrlError(url, `unknown parameter ${JSON.stringify(key)} (valid for ${scheme}: ${valid.join(', ')})`);
    }
    if (seen.has(key)) throw new InvalidUrlError(url, `parameter ${key} given more than once`);
    seen.add(key);
  }
}

/** Options every transport reads: query parameters first, then code options, then defaults. */
export function commonOptions(url: string, options: TransportOptions = {}): {
  maxFrameSize: number; mode: number; partialFrameTimeout: number | undefined;
} {
  checkQueryParameters(url);
  const query = URL.canParse(url) ? new URL(url).searchParams : new URLSearchParams();
  const q = query.get('maxFrameSize');
  const maxFrameSize = q !== null ? parseSize(q, url, 'maxFrameSize') : options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isInteger(maxFrameSize) || maxFrameSize < MIN_MAX_FRAME_SIZE || maxFrameSize > MAX_MAX_FRAME_SIZE) {
    const range = `maxFrameSize must be an integer from ${MIN_MAX_FRAME_SIZE} (4KiB) to ${MAX_MAX_FRAME_SIZE} (2GiB - 1)`;
    if (q !== null) throw new InvalidUrlError(url, `${range} (got ${q})`);
    throw new RangeError(`${range}: maxFrameSize=${String(maxFrameSize)}`);
  }
  const mode = options.mode ?? 0o600;
  const partial = options.partialFrameTimeout;
  if (partial !== undefined && (typeof partial !== 'number' || !(partial > 0))) {
    throw new RangeError(`partialFrameTimeout must be a positive number of ms: partialFrameTimeout=${String(partial)}`);
  }
  return { maxFrameSize, mode, partialFrameTimeout: partial };
}
