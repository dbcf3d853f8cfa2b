/**
 * The hot path's other half: reads a PUB frame by hand, without msgpackr, for the common shape
 * (fixarray of 8, type 4, no headers). The payload is a view of the frame (frames are owned by
 * the receiver). Anything else returns undefined and takes the general msgpack path.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import type { Pub } from './messages.js';
import { view } from '../../bytes.js';
import { MsgpackReader } from '../../codecs/msgpack-wire.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Topics and publisher ids repeat from frame to frame: the last few decoded strings are kept
 * with their bytes, and a byte compare (cheaper than building a string) returns the same one.
 * Eight: a few publishers and a handful of rotating topics still hit.
 */
const RECENT = 8;

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

/**
 * Reads PUB frames of the common shape, with its own cursor and its own recent strings.
 *
 * @example
 * ```ts
 * const decoder = new PubDecoder();
 * const pub = decoder.decode(frame); // a FramePub, or undefined: use decodeFrame + toPub
 * ```
 */
export class PubDecoder {
  readonly #r = new MsgpackReader();
  readonly #recentBytes: Uint8Array[] = Array.from({ length: RECENT }, () => new Uint8Array(0));
  readonly #recentText: string[] = Array<string>(RECENT).fill('');
  #recentNext = 0;

  /** The PUB in `f`, or undefined when `f` is not a PUB of the common shape; `ProtocolError` for a broken one. */
  decode(f: Uint8Array): FramePub | undefined {
    if (f.length < 8 || f[0] !== 0x98 || f[1] !== 4) return undefined;
    const r = this.#r.at(f, 2);
    const topic = this.#str(r, true);
    const codec = r.uint();
    const publisher = this.#str(r, true);
    const seq = r.uint();
    let replyTo: string | undefined;
    if (!r.nil()) replyTo = this.#str(r, false); // reply subjects are unique: they would only evict topics
    if (!r.nil()) return undefined; // headers: the general path reads maps
    const payloadEnd = this.#bin(r);
    if (topic === undefined || publisher === undefined || codec < 0 || seq < 0 || payloadEnd < 0) return undefined;
    if (payloadEnd !== f.length) throw new ProtocolError(`PUB frame has ${f.length - payloadEnd} bytes after its payload`);
    return new FramePub(topic, codec, publisher, seq, replyTo, f, r.pos, payloadEnd);
  }

  /** The str at the cursor, or undefined when it is not one. */
  #str(r: MsgpackReader, remember: boolean): string | undefined {
    const n = r.strHeader();
    if (n < 0) return undefined;
    const f = r.buf;
    const start = r.pos;
    const end = start + n;
    if (end > f.length) throw new ProtocolError('PUB string runs past the frame');
    r.pos = end;
    if (n > 64 || !remember) return decodeUtf8(f.subarray(start, end));
    for (let i = 0; i < RECENT; i++) {
      const b = this.#recentBytes[i]!;
      if (b.length !== n) continue;
      let same = true;
      for (let j = 0; j < n; j++) if (b[j] !== f[start + j]) { same = false; break; }
      if (same) return this.#recentText[i]!;
    }
    let text = '';
    let ascii = true;
    for (let i = start; i < end; i++) {
      const c = f[i]!;
      if (c > 0x7f) { ascii = false; break; }
      text += String.fromCharCode(c);
    }
    if (!ascii) text = decodeUtf8(f.subarray(start, end));
    this.#recentBytes[this.#recentNext] = f.slice(start, end);
    this.#recentText[this.#recentNext] = text;
    this.#recentNext = (this.#recentNext + 1) % RECENT;
    return text;
  }

  /** Skips a bin header: the cursor is left at its first byte; returns where it ends, or -1 if not a bin. */
  #bin(r: MsgpackReader): number {
    const n = r.binHeader();
    if (n < 0) return -1;
    if (r.pos + n > r.buf.length) throw new ProtocolError('PUB payload runs past the frame');
    return r.pos + n;
  }
}

/** Strings are UTF-8 (the spec): anything else is the peer's protocol error, not a TypeError. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new ProtocolError('PUB string is not valid UTF-8', { cause: err });
  }
}

/**
 * The decoder of callers that keep none of their own (the router, the hub client): decoding
 * is synchronous, so one shared cursor is never used by two frames at once.
 */
const shared = new PubDecoder();

/** `PubDecoder.decode` with the shared decoder. */
export function decodePubFast(f: Uint8Array): FramePub | undefined {
  return shared.decode(f);
}
