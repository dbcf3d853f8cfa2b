/**
 * The hub side of `fifo:///dir`. It holds the liveness lock `<dir>.lock` (so a second hub gets
 * `HubRunningError` and a dead hub's directory is cleaned by the next), owns the directory
 * (0700) and the rendezvous FIFO, which it keeps open O_RDWR: it never sees EOF when announcers
 * come and go, so libuv never spins on a hang-up. Announce lines are read by a `net.Socket`.
 * @module
 */
import type { Socket } from 'node:net';
import { fdSocket } from '../../native/fd-socket.js';
import { join } from 'node:path';
import { mkfifo, O } from '../../native/fds.js';
import { LivenessLock } from '../../sync/liveness-lock.js';
import { AcceptQueue } from '../shared/accept-queue.js';
import { AdmissionReports } from '../shared/admission.js';
import type { Connection, Listener } from '../transport.js';
import { openFifo, prepareDir, removeDir, sweepDeadClients, unlinkQuiet } from './fifo-dir.js';
import { HubHandshake } from './fifo-handshake.js';
import { PIPE_BUF } from '../../native/fds.js';
import { RENDEZVOUS, downName, parseAnnounce, upName } from './fifo-names.js';

/** How often the hub removes pairs of clients that died before announcing. */
const SWEEP_MS = 5000;

export interface FifoListenerOptions {
  maxFrameSize: number;
  mode: number;
  pipeSize: number;
  /** A client that does not finish its handshake within this many ms is dropped. */
  handshakeTimeout: number;
}

export class FifoListener implements Listener {
  readonly url: string;
  readonly dir: string;
  readonly #o: FifoListenerOptions;
  readonly #lock: LivenessLock;
  readonly #rendezvous: Socket;
  readonly #accepted = new AcceptQueue();
  readonly #handshakes = new Map<string, HubHandshake>();
  readonly #sweep: NodeJS.Timeout;
  readonly #admission = new AdmissionReports();
  #partial = '';
  #closing: Promise<void> | undefined;

  private constructor(url: string, dir: string, lock: LivenessLock, rendezvousFd: number, options: FifoListenerOptions) {
    this.url = url;
    this.dir = dir;
    this.#o = options;
    this.#lock = lock;
    this.#rendezvous = fdSocket(rendezvousFd, 'read');
    this.#rendezvous.setEncoding('latin1');
    this.#rendezvous.on('data', (text: string) => this.#onAnnounceData(text));
    this.#rendezvous.on('error', () => undefined);
    this.#sweep = setInterval(() => this.#sweepDead(), SWEEP_MS).unref();
  }

  /** Takes the liveness lock, prepares the directory and opens the rendezvous FIFO. */
  static start(url: string, dir: string, options: FifoListenerOptions): FifoListener {
    const lock = LivenessLock.acquire(dir);
    let prepared = false;
    try {
      // The directory gets x wherever the file mode has r (0600 → 0700).
      prepareDir(dir, url, options.mode | ((options.mode & 0o444) >> 2));
      prepared = true;
      const path = join(dir, RENDEZVOUS);
      mkfifo(path, 0o600);
      // O_RDWR: the hub is a writer too, so the reader never sees EOF between announcers.
      const fd = openFifo(path, O.RDWR);
      return new FifoListener(url, dir, lock, fd, options);
    } catch (err) {
      if (prepared) removeDir(dir);
      lock.release();
      throw err;
    }
  }

  #onAnnounceData(text: string): void {
    const lines = (this.#partial + text).split('\n');
    this.#partial = lines.pop() ?? '';
    // A real announce is one short line; an endless line is garbage and is dropped.
    if (this.#partial.length > PIPE_BUF) this.#partial = '';
    for (const line of lines) {
      const a = parseAnnounce(line);
      if (!a || this.#handshakes.has(a.name) || this.#closing) continue; // garbage or a re-announce
      const hs = new HubHandshake({
        dir: this.dir, name: a.name, pid: a.pid, timeout: this.#o.handshakeTimeout,
        maxFrameSize: this.#o.maxFrameSize, pipeSize: this.#o.pipeSize,
      }, (conn, cause) => {
        this.#handshakes.delete(a.name);
        if (conn) this.#accepted.push(conn);
        else if (cause) this.#admission.refuse(this.url, `client pid=${a.pid}`, cause);
      });
      if (!hs.settled) this.#handshakes.set(a.name, hs);
    }
  }

  #sweepDead(): void {
    const busy = new Set<string>();
    for (const name of this.#handshakes.keys()) busy.add(upName(name)).add(downName(name));
    try {
      sweepDeadClients(this.dir, (f) => busy.has(f));
    } catch {
      // The next sweep (or close) tries again.
    }
  }

  /** `AdmissionReporter`: clients the hub could not open a pair for (out of file descriptors...) are reported. */
  onAdmissionError(report: (err: Error) => void): void {
    this.#admission.listen(report);
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  /** Stops accepting, closes every connection, removes the directory, then drops the lock. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#sweep);
      this.#accepted.end();
      for (const hs of [...this.#handshakes.values()]) hs.abort();
      this.#rendezvous.destroy();
      unlinkQuiet(join(this.dir, RENDEZVOUS));
      await this.#accepted.closeAll();
      removeDir(this.dir);
      this.#lock.release();
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
