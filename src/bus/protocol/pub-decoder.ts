/**
 * The hot path's other half: reads a PUB frame by hand, without msgpackr, for the common shape
 * (fixarray of 8, type 4, no headers). The payload is a view of the frame (frames are owned by
 * the receiver). Anything else returns undefined and takes the general msgpack path.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import type { Pub } from './messages.js';
import { view } from '../../bytes.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads position state while decoding one frame (module scope: decoding is synchronous). */
let pos = 0;
/**
 * Topics and publisher ids repeat from frame to frame: the last few decoded strings are kept
 * with their bytes, and a byte compare (cheaper than building a string) returns the same one.
 * Eight: a few publishers and a handful of rotating topics still hit.
 */
const RECENT = 8;
const recentBytes: Uint8Array[] = Array.from({ length: RECENT }, () => new Uint8Array(0));
const recentText: string[] = Array(RECENT).fill('');
let recentNext = 0;

/**
 * A PUB read by `decodePubFast`: the payload stays where it is in the frame until someone asks
 * for it (`payload`, a view cut on first use), so a codec with `decodeAt` reads it in place and
 * a routed frame never gets a payload view at all (one typed-array view less per message).
 * `payload` is a getter: copy fields by name, not with `{ ...pub }`.
 */
export class FramePub implements Pub {
  readonly headers = undefined;
  #payload: Uint8Array | undefined;

  constructor(
    readonly topic: string,
    readonly codec: number,
    readonly publisher: string,
    readonly seq: number,
    readonly replyTo: string | undefined,
    /** The whole frame, and where the payload lies in it. */
    readonly frame: Uint8Array,
    readonly payloadStart: number,
    readonly payloadEnd: number,
  ) {}

  get payload(): Uint8Array {
    return (this.#payload ??= view(this.frame, this.payloadStart, this.payloadEnd));
  }
}

export function decodePubFast(f: Uint8Array): FramePub | undefined {
  if (f.length < 8 || f[0] !== 0x98 || f[1] !== 4) return undefined;
  pos = 2;
  const topic = readStr(f);
  const codec = readUint(f);
  const publisher = readStr(f);
  const seq = readUint(f);
  let replyTo: string | undefined;
  if (f[pos] === 0xc0) pos++;
  else replyTo = readStr(f, false); // reply subjects are unique: they would only evict topics
  if (f[pos] !== 0xc0) return undefined; // headers: the general path reads maps
  pos++;
  const payloadEnd = readBin(f);
  if (topic === undefined || publisher === undefined || codec < 0 || seq < 0 || payloadEnd < 0) return undefined;
  if (payloadEnd !== f.length) throw new ProtocolError(`PUB frame has ${f.length - payloadEnd} bytes after its payload`);
  return new FramePub(topic, codec, publisher, seq, replyTo, f, pos, payloadEnd);
}

function readStr(f: Uint8Array, remember = true): string | undefined {
  const b = f[pos]!;
  let n: number;
  if ((b & 0xe0) === 0xa0) { n = b & 0x1f; pos += 1; }
  else if (b === 0xd9) { n = f[pos + 1]!; pos += 2; }
  else if (b === 0xda) { n = (f[pos + 1]! << 8) | f[pos + 2]!; pos += 3; }
  else return undefined;
  const start = pos;
  const end = start + n;
  if (end > f.length) throw new ProtocolError('PUB string runs past the frame');
  pos = end;
  if (n > 64 || !remember) return decodeUtf8(f.subarray(start, end));
  for (let r = 0; r < RECENT; r++) {
    const b = recentBytes[r]!;
    if (b.length !== n) continue;
    let same = true;
    for (let i = 0; i < n; i++) if (b[i] !== f[start + i]) { same = false; break; }
    if (same) return recentText[r]!;
  }
  let text = '';
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = f[i]!;
    if (c > 0x7f) { ascii = false; break; }
    text += String.fromCharCode(c);
  }
  if (!ascii) text = decodeUtf8(f.subarray(start, end));
  recentBytes[recentNext] = f.slice(start, end);
  recentText[recentNext] = text;
  recentNext = (recentNext + 1) % RECENT;
  return text;
}

/** Strings are UTF-8 (the spec): anything else is the peer's protocol error, not a TypeError. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new ProtocolError('PUB string is not valid UTF-8', { cause: err });
  }
}

function readUint(f: Uint8Array): number {
  const b = f[pos]!;
  if (b < 0x80) { pos += 1; return b; }
  if (b === 0xcc) { pos += 2; return f[pos - 1]!; }
  if (b === 0xcd) { pos += 3; return (f[pos - 2]! << 8) | f[pos - 1]!; }
  if (b === 0xce) {
    const v = ((f[pos + 1]! << 24) >>> 0) + (f[pos + 2]! << 16) + (f[pos + 3]! << 8) + f[pos + 4]!;
    pos += 5;
    return v;
  }
  if (b === 0xcb) {
    if (pos + 9 > f.length) return -1; // cut short: the general path reports it
    const v = new DataView(f.buffer, f.byteOffset + pos + 1, 8).getFloat64(0);
    pos += 9;
    return Number.isInteger(v) && v >= 0 ? v : -1;
  }
  return -1;
}

/** Skips a bin header: `pos` is left at its first byte; returns where it ends, or -1 if not a bin. */
function readBin(f: Uint8Array): number {
  const b = f[pos]!;
  let n: number;
  if (b === 0xc4) { n = f[pos + 1]!; pos += 2; }
  else if (b === 0xc5) { n = (f[pos + 1]! << 8) | f[pos + 2]!; pos += 3; }
  else if (b === 0xc6) {
    n = ((f[pos + 1]! << 24) >>> 0) + (f[pos + 2]! << 16) + (f[pos + 3]! << 8) + f[pos + 4]!;
    pos += 5;
  } else return -1;
  if (pos + n > f.length) throw new ProtocolError('PUB payload runs past the frame');
  return pos + n;
}
