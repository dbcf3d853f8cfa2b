/**
 * The `fifo:` rendezvous protocol, written once for hub and client (and a peer in any language).
 *
 * In the hub's directory (mode 0700):
 * - `rendezvous`: a FIFO the hub keeps open O_RDWR (so it never sees EOF when announcers leave).
 * - `c-<pid>-<hex>.up` (client writes, hub reads) and `c-<pid>-<hex>.dn` (hub writes, client
 *   reads): one pair per client, made by the client, unlinked once both sides have them open.
 *
 * Handshake:
 * 1. client: mkfifo both (0600), open `.dn` O_RDONLY|O_NONBLOCK, write one line
 *    `unibus-fifo/1 c-<pid>-<hex>\n` to `rendezvous` (one write ≤ PIPE_BUF: atomic among many
 *    clients); it writes the line again if no welcome comes within 1 s.
 * 2. hub: checks the name and that both paths are FIFOs owned by it, opens `.up`
 *    O_RDONLY|O_NONBLOCK|O_NOFOLLOW and `.dn` O_WRONLY|O_NONBLOCK|O_NOFOLLOW (retrying on ENXIO),
 *    writes the 8-byte {@link WELCOME} to `.dn`.
 * 3. client: reads the welcome, opens `.up` O_WRONLY, writes the 8-byte {@link ACK}, unlinks both.
 * 4. hub: reads the ack, unlinks both (if still there). From here on both directions carry
 *    length-prefixed frames (u32 big-endian length, then the bytes).
 * @module
 */
import { PIPE_BUF } from '../../native/fds.js';

/** The hub's rendezvous FIFO in the directory. */
export const RENDEZVOUS = 'rendezvous';

/** Announce line prefix: names the protocol version. */
export const ANNOUNCE_PREFIX = 'unibus-fifo/1 ';

/** First bytes from the hub on `.dn`. */
export const WELCOME = new TextEncoder().encode('UBFIFO1W');
/** First bytes from the client on `.up`. */
export const ACK = new TextEncoder().encode('UBFIFO1A');

/** A client's pair base name. */
const CLIENT_NAME = /^c-(\d{1,10})-([0-9a-f]{16})$/;
/** Any file the protocol makes in the directory. */
const OUR_FILE = /^(rendezvous|c-\d{1,10}-[0-9a-f]{16}\.(up|dn))$/;

/** The path of the client→hub FIFO of `name`. */
export const upName = (name: string): string => `${name}.up`;
/** The path of the hub→client FIFO of `name`. */
export const downName = (name: string): string => `${name}.dn`;

/** A fresh pair name for this process. */
export function clientName(pid: number, random: Uint8Array): string {
  return `c-${pid}-${Buffer.from(random).toString('hex').slice(0, 16).padEnd(16, '0')}`;
}

/** The announce line for `name`. */
export function announceLine(name: string): Uint8Array {
  const line = new TextEncoder().encode(`${ANNOUNCE_PREFIX}${name}\n`);
  if (line.length > PIPE_BUF) throw new RangeError(`announce line longer than PIPE_BUF: ${line.length}`);
  return line;
}

/** Parses one announce line (without its newline); undefined for anything else. */
export function parseAnnounce(line: string): { name: string; pid: number } | undefined {
  if (!line.startsWith(ANNOUNCE_PREFIX)) return undefined;
  const name = line.slice(ANNOUNCE_PREFIX.length);
  const m = CLIENT_NAME.exec(name);
  return m ? { name, pid: Number(m[1]) } : undefined;
}

/** True for files this protocol makes (the only ones a hub removes or tolerates in its directory). */
export function isProtocolFile(file: string): boolean {
  return OUR_FILE.test(file);
}

/** The pid in a client file name, or undefined. */
export function pidOfClientFile(file: string): number | undefined {
  const m = /^c-(\d{1,10})-[0-9a-f]{16}\.(up|dn)$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

/** True when the first bytes equal `magic`. */
export function isMagic(buf: Uint8Array, magic: Uint8Array): boolean {
  if (buf.length !== magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[i] !== magic[i]) return false;
  return true;
}
