/**
 * A hub client written from docs/protocol.md alone (a Unix socket, 4-byte big-endian lengths,
 * msgpack arrays), with no unibus code: it sees exactly the bytes a hub sends, so tests can count
 * them, and it can stop reading (`pause()`) to play a slow consumer.
 */
import { connect, type Socket } from 'node:net';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export const T = { HELLO: 1, SUB: 2, UNSUB: 3, PUB: 4, PING: 5, PONG: 6, ERR: 8, QPUB: 9, BYE: 10, PEERS: 11, PEERS_DELTA: 12 } as const;

export class RawHubClient {
  readonly socket: Socket;
  /** Frames received per message type: count and bytes (length prefix included). */
  readonly counts = new Map<number, { frames: number; bytes: number }>();
  /** Every ERR received: [code, text, sid?]. */
  readonly errs: unknown[][] = [];
  /** Set when the socket ended (EOF or error). */
  ended = false;
  onMessage: ((msg: unknown[], size: number) => void) | undefined;
  #buf: Buffer = Buffer.alloc(0);
  /** When set, frames are only counted (type read from the first bytes), not decoded (but ERR and PONG): cheap. */
  readonly #countOnly: boolean;

  private constructor(socket: Socket, countOnly: boolean) {
    this.socket = socket;
    this.#countOnly = countOnly;
    socket.on('data', (d: Buffer) => this.#data(d));
    socket.on('close', () => { this.ended = true; });
    socket.on('error', () => { this.ended = true; });
  }

  /** Connects to the unix socket at `path` and says HELLO. */
  static async open(path: string, name: string, options: { countOnly?: boolean } = {}): Promise<RawHubClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const c = new RawHubClient(socket, options.countOnly === true);
    c.send([T.HELLO, 1, name, process.pid, 16 << 20, `raw-${name}`]);
    return c;
  }

  send(msg: unknown[]): void {
    const body = packr.pack(msg);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    this.socket.write(Buffer.concat([head, body]));
  }

  count(type: number): { frames: number; bytes: number } {
    return this.counts.get(type) ?? { frames: 0, bytes: 0 };
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.socket.destroy();
  }

  #data(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    let at = 0;
    while (this.#buf.length - at >= 4) {
      const n = this.#buf.readUInt32BE(at);
      if (this.#buf.length - at - 4 < n) break;
      const frame = this.#buf.subarray(at + 4, at + 4 + n);
      at += 4 + n;
      const type = frameType(frame);
      const c = this.counts.get(type) ?? { frames: 0, bytes: 0 };
      c.frames++;
      c.bytes += n + 4;
      this.counts.set(type, c);
      if (this.#countOnly && type !== T.ERR && type !== T.PONG) continue;
      const msg = packr.unpack(frame) as unknown[];
      if (type === T.ERR) this.errs.push(msg.slice(1));
      this.onMessage?.(msg, n + 4);
    }
    this.#buf = at === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(at);
  }
}

/** The message type of a frame: a fixarray (0x90-0x9f) or array16/32 head, then a positive fixint. */
function frameType(frame: Uint8Array): number {
  const head = frame[0]!;
  const at = head >= 0x90 && head <= 0x9f ? 1 : head === 0xdc ? 3 : head === 0xdd ? 5 : -1;
  return at < 0 ? -1 : frame[at]!;
}
