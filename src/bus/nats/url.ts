/**
 * Parsing of `nats://` URLs. NATS URLs name a list of servers, which WHATWG `URL` cannot parse
 * (`nats://a:4222,b:4222`), so this file splits them by hand and checks every part.
 *
 * Grammar (`tls://` instead of `nats://` requires TLS): `nats://[user:pass@|token@]host[:port][,host[:port]…][?option=value&…]`
 * Options in the query: `name`, `randomize` (`false` keeps the server order), `codec` (codec id
 * assumed for messages without the `unibus-codec` header: 0 raw, 1 msgpack, 2 json).
 * @module
 */
import { InvalidUrlError } from '../../errors.js';
import { decodeUrlPart } from '../../transports/shared/url-decode.js';

/** What a `nats://` URL says. */
export interface NatsUrl {
  /** `host:port` of every server, in the URL's order. */
  readonly servers: string[];
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly name?: string;
  readonly randomize?: boolean;
  readonly foreignCodec?: number;
  /** `tls://` URL: TLS required (the system's CAs). */
  readonly tls?: boolean;
}

const DEFAULT_PORT = 4222;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$/;

/** True when `url` names NATS servers (the Bus uses NatsFabric for it). */
export function isNatsUrl(url: string): boolean {
  return /^(?:nats|tls):\/\//i.test(url);
}

/**
 * Parses a `nats://` URL; throws {@link InvalidUrlError} naming the bad part.
 *
 * @example
 * ```ts
 * parseNatsUrl('nats://127.0.0.1:4222,127.0.0.1:4223?name=worker').servers
 * // → ['127.0.0.1:4222', '127.0.0.1:4223']
 * ```
 */
export function parseNatsUrl(url: string): NatsUrl {
  if (typeof url !== 'string') throw new TypeError(`URL must be a string: got ${typeof url}`);
  if (!isNatsUrl(url)) throw new InvalidUrlError(url, 'scheme must be nats:// or tls://');
  const tls = /^tls:/i.test(url);
  const rest = url.slice(url.indexOf('://') + 3);
  const q = rest.indexOf('?');
  const authority = (q === -1 ? rest : rest.slice(0, q)).replace(/\/$/, '');
  const query = new URLSearchParams(q === -1 ? '' : rest.slice(q + 1));
  if (authority === '') throw new InvalidUrlError(url, 'no server named');

  let user: string | undefined;
  let pass: string | undefined;
  let token: string | undefined;
  const servers = authority.split(',').map((item) => {
    const at = item.lastIndexOf('@');
    if (at !== -1) {
      const info = decodeUrlPart(item.slice(0, at), url, 'user info');
      const colon = info.indexOf(':');
      if (colon === -1) token = info;
      else { user = info.slice(0, colon); pass = info.slice(colon + 1); }
      item = item.slice(at + 1);
    }
    const m = /^(.*?)(?::(\d+))?$/.exec(item)!;
    const host = m[1]!;
    const port = m[2] === undefined ? DEFAULT_PORT : Number(m[2]);
    if (!HOST.test(host)) throw new InvalidUrlError(url, `bad host ${JSON.stringify(host)}`);
    if (!(port > 0 && port < 65536)) throw new InvalidUrlError(url, `bad port ${m[2]}`);
    return `${host}:${port}`;
  });

  const result: { -readonly [K in keyof NatsUrl]: NatsUrl[K] } = { servers };
  if (tls) result.tls = true;
  if (user !== undefined) { result.user = user; result.pass = pass ?? ''; }
  if (token !== undefined) result.token = token;
  for (const [key, value] of query) {
    switch (key) {
      case 'name': result.name = value; break;
      case 'randomize':
        if (value !== 'true' && value !== 'false') throw new InvalidUrlError(url, `randomize must be true or false: got ${value}`);
        result.randomize = value === 'true';
        break;
      case 'codec': {
        const id = Number(value);
        if (!Number.isInteger(id) || id < 0 || id > 255) throw new InvalidUrlError(url, `codec must be a codec id 0..255: got ${value}`);
        result.foreignCodec = id;
        break;
      }
      default: throw new InvalidUrlError(url, `unknown option ${key}`);
    }
  }
  return result;
}
