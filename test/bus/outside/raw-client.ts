/**
 * A hub client written from docs/protocol.md alone: a Unix socket, 4-byte big-endian length
 * prefixes, one plain msgpack array per frame. No unibus code: only `node:net` and a msgpack
 * library, as a program in another language would have.
 */
import { createConnection, type Socket } from 'node:net';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export class RawClient {
  readonly socket: Socket;
  /** Every frame received, decoded (a zero-length frame is kept as `[]`). */
  readonly frames: unknown[][] = [];
  /** The body length of every frame received, in order. */
  readonly lengths: number[] = [];
  /** Resolves when the hub closed the connection (EOF or reset). */
  readonly ended: Promise<void>;
  #buf = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  #taken = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.ended = new Promise((resolve) => {
      socket.on('close', () => { resolve(); this.#wake(); });
    });
    socket.on('error', () => undefined); // a reset after the ERR is the hub's close
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Sends one frame holding `msg` packed as msgpack. */
  send(msg: unknown[]): void {
    this.sendBody(packr.pack(msg));
  }

  /** Sends `body` with its length prefix. */
  sendBody(body: Uint8Array): void {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([head, body]));
  }

  /** HELLO: [1, version, name, pid, maxFrameSize, busId]. */
  hello(name: string, opts: { version?: number; pid?: number; maxFrameSize?: number } = {}): void {
    this.send([1, opts.version ?? 1, name, opts.pid ?? process.pid, opts.maxFrameSize ?? 16 << 20, `${name}-1`]);
  }

  #onData(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 4) {
      const n = this.#buf.readUInt32BE(0);
      if (this.#buf.length < 4 + n) break;
      const body = this.#buf.subarray(4, 4 + n);
      this.#buf = this.#buf.subarray(4 + n);
      this.lengths.push(n);
      this.frames.push(n === 0 ? [] : packr.unpack(body) as unknown[]);
    }
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /**
   * The next frame not taken yet whose type is `type` (earlier frames of other types are
   * skipped), or undefined once the connection ended without one.
   */
  async next(type: number): Promise<unknown[] | undefined> {
    for (;;) {
      while (this.#taken < this.frames.length) {
        const f = this.frames[this.#taken++]!;
        if (f[0] === type) return f;
      }
      if (this.socket.destroyed) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /** Sends PING and waits for its PONG: the hub has handled everything sent before. */
  async ping(id: number): Promise<boolean> {
    this.send([5, id]);
    for (;;) {
      const pong = await this.next(6);
      if (!pong) return false;
      if (pong[1] === id) return true;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
