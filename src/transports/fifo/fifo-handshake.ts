/**
 * The hub's half of one client's handshake (see fifo-names.ts): open the pair, welcome, wait for
 * the ack, unlink the pair. Every wait is a libuv poll or a backoff timer; a client that dies or
 * stalls mid-handshake is dropped after `timeout` and its pair is removed.
 * @module
 */
import { join } from 'node:path';
import { fdSocket } from '../../native/fd-socket.js';
import { closeFd, O, readFd, setPipeSize, writeFd, WOULD_BLOCK } from '../../native/fds.js';
import { watchReadable, type ReadableWatcher } from '../../native/poll.js';
import { isSystemError } from '../../errors.js';
import { StreamConnection } from '../stream-connection.js';
import { backoffDelay } from '../../sync/backoff.js';
import { OPEN_RETRY, openFifo, unlinkQuiet } from './fifo-dir.js';
import { ACK, WELCOME, downName, isMagic, upName } from './fifo-names.js';

export interface HandshakeOptions {
  dir: string;
  name: string;
  pid: number;
  timeout: number;
  maxFrameSize: number;
  pipeSize: number;
}

/** One client being welcomed; settles exactly once with a connection or nothing. */
export class HubHandshake {
  readonly name: string;
  readonly #o: HandshakeOptions;
  readonly #done: (conn: StreamConnection | undefined, cause?: Error) => void;
  #up = -1;
  #down = -1;
  #attempt = 0;
  #timer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout;
  #watch: ReadableWatcher | undefined;
  #settled = false;

  /** `done` gets the connection, or nothing and (when the hub itself failed, e.g. EMFILE) the cause. */
  constructor(options: HandshakeOptions, done: (conn: StreamConnection | undefined, cause?: Error) => void) {
    this.name = options.name;
    this.#o = options;
    this.#done = done;
    this.#deadline = setTimeout(() => this.abort(), options.timeout);
    this.#openPair();
  }

  #path(file: string): string {
    return join(this.#o.dir, file);
  }

  #openPair(): void {
    if (this.#settled) return;
    try {
      if (this.#up < 0) this.#up = openFifo(this.#path(upName(this.name)), O.RDONLY);
      this.#down = openFifo(this.#path(downName(this.name)), O.WRONLY);
    } catch (err) {
      // ENXIO: the client's reader is not open (yet, or no longer); try again shortly.
      if (isSystemError(err, 'ENXIO')) {
        this.#timer = setTimeout(() => this.#openPair(), backoffDelay(this.#attempt++, OPEN_RETRY));
        return;
      }
      this.abort(err as Error);
      return;
    }
    try {
      setPipeSize(this.#down, this.#o.pipeSize);
      setPipeSize(this.#up, this.#o.pipeSize);
    } catch {
      // EPERM above the system limit: 64 KiB pipes still work.
    }
    // An empty FIFO has room for 8 bytes: this write never blocks and is atomic.
    if (writeFd(this.#down, WELCOME) !== WELCOME.length) {
      this.abort();
      return;
    }
    this.#watch = watchReadable(this.#up, () => this.#readAck());
  }

  #readAck(): void {
    if (this.#settled) return;
    const buf = new Uint8Array(ACK.length);
    let n: number;
    try {
      n = readFd(this.#up, buf);
    } catch {
      n = 0;
    }
    if (n === WOULD_BLOCK) return;
    // 0: the client opened its writer and left (died); anything else than the ack is garbage.
    if (n !== ACK.length || !isMagic(buf, ACK)) {
      this.abort();
      return;
    }
    this.#watch?.close();
    this.#watch = undefined;
    this.#unlinkPair();
    const up = this.#up;
    const down = this.#down;
    this.#up = -1;
    this.#down = -1;
    const conn = new StreamConnection(
      fdSocket(up, 'read'),
      fdSocket(down, 'write'),
      { maxFrameSize: this.#o.maxFrameSize, peer: { pid: this.#o.pid } },
    );
    this.#settle(conn);
  }

  #unlinkPair(): void {
    unlinkQuiet(this.#path(upName(this.name)));
    unlinkQuiet(this.#path(downName(this.name)));
  }

  /** True once the handshake ended (with or without a connection). */
  get settled(): boolean {
    return this.#settled;
  }

  /** Gives up: closes what was opened and removes the pair. Idempotent. */
  abort(cause?: Error): void {
    if (this.#settled) return;
    this.#watch?.close();
    this.#watch = undefined;
    if (this.#up >= 0) closeFd(this.#up);
    if (this.#down >= 0) closeFd(this.#down);
    this.#up = -1;
    this.#down = -1;
    this.#unlinkPair();
    this.#settle(undefined, cause);
  }

  #settle(conn: StreamConnection | undefined, cause?: Error): void {
    this.#settled = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#deadline);
    this.#done(conn, cause);
  }
}
