/**
 * Baseline (a): what a careful hand-written program does with a raw `net` Unix socket.
 * Each value is one msgpackr frame behind a 4-byte big-endian length (msgpackr reserves the
 * header's room, so a frame is one buffer); every frame sent in one event-loop turn goes out in
 * one write (one `Buffer.concat` of small frames, or one `writev` of large ones), flushed on
 * `process.nextTick`; `send()` reports backpressure from the socket. Reads split or merge
 * frames anywhere; whole frames inside a chunk are decoded in place.
 * @module
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import type { CaseSpec, ChildCommand, Link, LinkFactory, ParentEnd } from '../link.js';
import { Inbox, spawnSide } from './spawn.js';

/** Pending bytes past which a batch is written at once instead of at the end of the turn. */
const HIGH_WATER = 1 << 20;
/** Frames up to this size (on average in a batch) are concatenated into one buffer; batches of
 * larger frames go out with writev (no copy), as many small chunks make writev slow. */
const SMALL_FRAME = 16 * 1024;

class MsgpackSocket implements Link {
  readonly #socket: net.Socket;
  readonly #packr = new Packr({ useRecords: false });
  readonly #unpackr = new Unpackr({ useRecords: false });
  readonly #inbox = new Inbox();
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #scheduled = false;
  // Reassembly of a frame that spans chunks: its parts and the bytes needed in total.
  #parts: Buffer[] = [];
  #have = 0;
  #need = 0;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => { /* the peer went away; the run's watchdog reports stalls */ });
  }

  send(value: unknown): boolean {
    const frame = this.#packr.pack(value, RESERVE_START_SPACE | 4);
    const len = frame.length - 4;
    frame[0] = len >>> 24; frame[1] = (len >>> 16) & 0xff; frame[2] = (len >>> 8) & 0xff; frame[3] = len & 0xff;
    this.#pending.push(frame);
    this.#pendingBytes += frame.length;
    if (this.#pendingBytes >= HIGH_WATER) return this.#flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flushTick);
    }
    return !this.#socket.writableNeedDrain;
  }

  readonly #flushTick = (): void => {
    this.#scheduled = false;
    this.#flush();
  };

  #flush(): boolean {
    const pending = this.#pending;
    if (pending.length === 0) return !this.#socket.writableNeedDrain;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    if (pending.length === 1) return this.#socket.write(pending[0]!);
    if (bytes <= SMALL_FRAME * pending.length) return this.#socket.write(Buffer.concat(pending, bytes));
    this.#socket.cork();
    for (const frame of pending) this.#socket.write(frame);
    this.#socket.uncork();
    return !this.#socket.writableNeedDrain;
  }

  drained(): Promise<void> {
    if (this.#pendingBytes > 0) this.#flush();
    if (!this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.#socket.once('drain', resolve));
  }

  onMessage(handler: (value: unknown) => void): void {
    this.#inbox.set(handler);
  }

  #onData(chunk: Buffer): void {
    if (this.#parts.length > 0) {
      this.#parts.push(chunk);
      this.#have += chunk.length;
      if (this.#have < this.#need) return;
      chunk = Buffer.concat(this.#parts, this.#have);
      this.#parts = [];
      this.#have = 0;
    }
    let pos = 0;
    const end = chunk.length;
    while (end - pos >= 4) {
      const len = chunk.readUInt32BE(pos);
      if (end - pos - 4 < len) break;
      this.#inbox.deliver(this.#unpackr.unpack(chunk.subarray(pos + 4, pos + 4 + len)));
      pos += 4 + len;
    }
    if (pos < end) {
      const rest = chunk.subarray(pos);
      this.#parts = [rest];
      this.#have = rest.length;
      this.#need = rest.length >= 4 ? 4 + rest.readUInt32BE(0) : 4;
    }
  }

  async close(): Promise<void> {
    this.#flush();
    await new Promise<void>((resolve) => this.#socket.end(resolve));
    this.#socket.destroy();
  }
}

function socketPath(spec: CaseSpec): string {
  return join(tmpdir(), `unibus-bench-${spec.id}.sock`);
}

export const netMsgpackr: LinkFactory = {
  payloadKind: 'bytes',

  async parent(spec: CaseSpec, child: ChildCommand): Promise<ParentEnd> {
    const path = socketPath(spec);
    rmSync(path, { force: true });
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, resolve);
    });
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const side = spawnSide(child);
    const socket = await Promise.race([accepted, side.exited.then((code) => {
      throw new Error(`${spec.name} child exited before connecting: ${code}`);
    })]);
    const link = new MsgpackSocket(socket);
    return {
      link,
      sameProcess: false,
      otherDone: side.exited,
      async close() {
        await link.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(path, { force: true });
      },
    };
  },

  async child(spec: CaseSpec): Promise<Link> {
    const socket = net.createConnection(socketPath(spec));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new MsgpackSocket(socket);
  },
};
