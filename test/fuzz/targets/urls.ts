/**
 * Every scheme's URL parser, as `Bus.connect(url)` / `Bus.listen(url)` reach it before touching
 * the kernel. A URL is accepted or rejected with `InvalidUrlError` (or `RangeError`, documented
 * today for an out-of-range `maxFrameSize` in shared/url.ts); nothing else may escape.
 */
import fc from 'fast-check';
import { schemeOf } from '../../../src/transports/registry.js';
import { commonOptions, parseUrl, urlPath, validateName } from '../../../src/transports/shared/url.js';
import { parseShmUrl } from '../../../src/transports/shm/options.js';
import { parseSysvmqUrl } from '../../../src/transports/sysvmq/url.js';
import { checkPipeUrl } from '../../../src/transports/pipe/pipe-url.js';
import { spoolOptions } from '../../../src/transports/spool/spool-options.js';
import { parseNatsUrl } from '../../../src/bus/nats/url.js';
import { InvalidUrlError } from '../../../src/errors.js';
import { instanceOfAny, type FuzzTarget } from '../target.js';

/** The parsing each scheme does (the same calls as its transport's listen/connect). */
const parsers: Record<string, (url: string) => void> = {
  unix: (u) => { urlPath(u, 'unix'); commonOptions(u); },
  fifo: (u) => { urlPath(u, 'fifo'); commonOptions(u); },
  file: (u) => { spoolOptions(u); },
  shm: (u) => { parseShmUrl(u); },
  sysvmq: (u) => { parseSysvmqUrl(u); commonOptions(u); },
  pipe: (u) => { checkPipeUrl(u); commonOptions(u); },
  memory: (u) => { const p = parseUrl(u, 'memory'); validateName(p.host || p.pathname.replace(/^\/+/, ''), u); commonOptions(u); },
  nats: (u) => { parseNatsUrl(u); },
};
const schemes = Object.keys(parsers);

const piece = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('/', '//', '///', '%', '%zz', '%2F', '%00', '%E0%A4%A', '..', '.', '~', '@', ':', '?', '#', '&', '=', '[::1]', '0x1234', '0x0', ' ', '\u0000', 'é', '\ud800'),
  fc.constantFrom('maxFrameSize', 'pipeSize', 'size', 'api', 'spin', 'peerTimeout', 'proj', 'consumer', 'sync', 'segmentSize', 'maxBacklog', 'name', 'frob'),
  fc.constantFrom('0', '1', '8', '-1', '4096', '64KiB', '3GiB', '1e3', 'NaN', '99999999999999999999', 'posix', 'sysv', 'batch', '255', '256'),
);
const tail = fc.array(piece, { maxLength: 8 }).map((p) => p.join(''));
const query = fc.array(fc.tuple(piece, piece), { maxLength: 3 }).map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

export const urlTarget: FuzzTarget<[string, string]> = {
  name: 'urls.every-scheme',
  input: fc.tuple(
    fc.constantFrom(...schemes),
    fc.oneof(
      fc.tuple(fc.constantFrom(...schemes, 'tls', 'http', ''), fc.constantFrom('://', ':///', ':', ':/'), tail, query).map((p) => p.join('')),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('unix:///tmp/a.sock', 'fifo:///tmp/f', 'file:///tmp/s?consumer=a&sync=batch', 'shm://app?size=64KiB', 'sysvmq:///tmp/k?proj=7', 'sysvmq://0x1234', 'pipe:', 'memory://x', 'nats://u:p@h:4222,h2'),
    ),
  ),
  run([scheme, url]) {
    if (/^[a-z]/i.test(url)) schemeOf(url);
    parsers[scheme]!(url);
  },
  typed: instanceOfAny(InvalidUrlError, RangeError),
  regressions: [
    // Malformed %-escapes in the path or the user info: decodeURIComponent threw a bare URIError.
    ['unix', 'unix:///tmp/%zz.sock'],
    ['fifo', 'fifo:///tmp/%E0%A4%A'],
    ['file', 'file:///tmp/%'],
    ['sysvmq', 'sysvmq:///tmp/%zz'],
    ['shm', 'shm://%zz'],
    ['nats', 'nats://%zz@host'],
  ],
};
