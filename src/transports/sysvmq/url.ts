/**
 * `sysvmq:` URLs: `sysvmq:///path/to/keyfile[?proj=N]` (the key is `ftok(keyfile, N)`; the hub
 * creates the file if it is missing) or `sysvmq://0x1234` (a literal key).
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidUrlError } from '../../errors.js';
import { decodeUrlPart } from '../shared/url-decode.js';
import { checkQueryParameters } from '../shared/url.js';
import { isWakeKey, WAKE_KEY_BASE, WAKE_KEY_END } from './wake-key.js';

/** `proj` used with ftok when the URL names none ('U'). */
export const DEFAULT_PROJ = 0x55;

export interface SysvmqAddress {
  /** The URL with defaults filled in. */
  readonly url: string;
  /** The key file, for file URLs. */
  readonly keyfile?: string;
  readonly proj: number;
  /** The literal key, for `sysvmq://0x…` URLs. */
  readonly key?: number;
  /** The path whose liveness lock (`<path>.lock`) marks the hub of this address as alive. */
  readonly livenessPath: string;
}

/**
 * Parses a `sysvmq:` URL; throws `InvalidUrlError` with the reason.
 *
 * @example
 * ```ts
 * parseSysvmqUrl('sysvmq:///tmp/app.key?proj=7'); // { keyfile: '/tmp/app.key', proj: 7, ... }
 * parseSysvmqUrl('sysvmq://0x1234');             // { key: 0x1234, ... }
 * ```
 */
export function parseSysvmqUrl(url: string): SysvmqAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidUrlError(url, 'not a URL');
  }
  if (u.protocol !== 'sysvmq:') throw new InvalidUrlError(url, `scheme must be sysvmq:, got ${u.protocol}`);
  checkQueryParameters(url);
  if (u.hostname !== '') {
    if (u.pathname !== '' && u.pathname !== '/') throw new InvalidUrlError(url, 'a literal key URL has no path');
    if (u.searchParams.has('proj')) throw new InvalidUrlError(url, 'proj applies to key files only');
    if (!/^0x[0-9a-f]{1,8}$/i.test(u.hostname)) {
      throw new InvalidUrlError(url, 'host must be a hexadecimal key like 0x1234 (or use sysvmq:///path/to/keyfile)');
    }
    const key = Number.parseInt(u.hostname.slice(2), 16);
    if (key === 0) throw new InvalidUrlError(url, 'key 0 is IPC_PRIVATE and cannot be shared');
    if (isWakeKey(key)) throw new InvalidUrlError(url, `keys 0x${WAKE_KEY_BASE.toString(16)}-0x${(WAKE_KEY_END - 1).toString(16)} are unibus's wake queues (0x${WAKE_KEY_BASE.toString(16)} + pid)`);
    const hex = `0x${key.toString(16)}`;
    const uid = process.getuid?.() ?? 0;
    return {
      url: `sysvmq://${hex}`,
      key,
      proj: DEFAULT_PROJ,
      livenessPath: join(tmpdir(), `unibus-sysvmq-${uid}-${hex}`),
    };
  }
  const keyfile = decodeUrlPart(u.pathname, url, 'path');
  if (keyfile === '' || keyfile === '/' || keyfile.endsWith('/')) throw new InvalidUrlError(url, 'path must name a key file');
  let proj = DEFAULT_PROJ;
  const p = u.searchParams.get('proj');
  if (p !== null) {
    proj = /^\d+$/.test(p) ? Number(p) : Number.NaN;
    if (!(proj >= 1 && proj <= 255)) throw new InvalidUrlError(url, `proj must be an integer 1..255, got ${p}`);
  }
  return {
    url: proj === DEFAULT_PROJ ? `sysvmq://${keyfile}` : `sysvmq://${keyfile}?proj=${proj}`,
    keyfile,
    proj,
    // Several projs may share a key file; each has its own hub, so each its own lock.
    livenessPath: proj === DEFAULT_PROJ ? keyfile : `${keyfile}.proj${proj}`,
  };
}
