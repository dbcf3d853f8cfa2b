/**
 * The client side of `fifo:///dir` (protocol in fifo-names.ts). Every open is O_NONBLOCK, every
 * wait a libuv poll or a timer: a hub that never answers costs a timeout, never a parked thread.
 * Whatever happens, the client's pair is unlinked before `connect` settles.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AbortedError, PeerGoneError, TimeoutError, isSystemError } from '../../errors.js';
import { fdSocket } from '../../native/fd-socket.js';
import { closeFd, mkfifo, O, readFd, writeFd, WOULD_BLOCK } from '../../native/fds.js';
import { watchReadable, type ReadableWatcher } from '../../native/poll.js';
import { StreamConnection } from '../stream-connection.js';
import { backoffDelay } from '../../sync/backoff.js';
import { checkDir, OPEN_RETRY, openFifo, unlinkQuiet } from './fifo-dir.js';
import { ACK, RENDEZVOUS, WELCOME, announceLine, clientName, downName, isMagic, upName } from './fifo-names.js';

/** Without a welcome after this long, the announce is written again. */
const REANNOUNCE_MS = 1000;

export interface FifoConnectOptions {
  url: string;
  dir: string;
  maxFrameSize: number;
  timeout: number;
  signal?: AbortSignal;
}

/** Connects to the hub of `dir`. Rejects at once when no hub serves it (ENOENT, ENXIO). */
export function connectFifo(o: FifoConnectOptions): Promise<StreamConnection> {
  return new Promise((resolve, reject) => {
    const name = clientName(process.pid, randomBytes(8));
    const upPath = join(o.dir, upName(name));
    const downPath = join(o.dir, downName(name));
    let rendezvous = -1;
    let down = -1;
    let up = -1;
    let watch: ReadableWatcher | undefined;
    let retry: NodeJS.Timeout | undefined;
    let attempt = 0;
    let settled = false;

    const cleanup = (keepPair: boolean): void => {
      settled = true;
      clearTimeout(deadline);
      clearInterval(reannounce);
      clearTimeout(retry);
      o.signal?.removeEventListener('abort', onAbort);
      watch?.close();
      if (rendezvous >= 0) closeFd(rendezvous);
      if (!keepPair) {
        if (down >= 0) closeFd(down);
        if (up >= 0) closeFd(up);
      }
      for (const path of [upPath, downPath]) {
        try {
          unlinkQuiet(path);
        } catch {
          // EACCES: another user's hub directory, where this client could make nothing.
        }
      }
    };
    const fail = (err: Error): void => {
      if (settled) return;
      cleanup(false);
      reject(err);
    };
    const onAbort = (): void => fail(new AbortedError(`connect to ${o.url}`, o.signal?.reason));
    // The rendezvous opens for writing only while a hub reads it: the hub is there but silent.
    const deadline = setTimeout(() => fail(new TimeoutError(`connect to ${o.url} (the hub is running but did not `
      + 'welcome this client; a hub out of file descriptors does this and says why in an error event)', o.timeout)), o.timeout);
    const announce = (): void => {
      // One write of at most PIPE_BUF bytes: atomic among all announcers.
      if (!settled) writeFd(rendezvous, announceLine(name));
    };
    const reannounce = setInterval(() => {
      try { announce(); } catch (err) {
        fail(isSystemError(err, 'EPIPE') ? new PeerGoneError('the hub went away during the handshake') : err as Error);
      }
    }, REANNOUNCE_MS);

    const openWriter = (): void => {
      if (settled) return;
      try {
        up = openFifo(upPath, O.WRONLY);
      } catch (err) {
        if (isSystemError(err, 'ENXIO')) {
          retry = setTimeout(openWriter, backoffDelay(attempt++, OPEN_RETRY));
          return;
        }
        fail(err as Error);
        return;
      }
      let wrote = 0;
      try {
        wrote = writeFd(up, ACK);
      } catch (err) {
        // EPIPE: the hub gave this handshake up (out of descriptors, or its timeout) and closed it.
        if (!isSystemError(err, 'EPIPE')) {
          fail(err as Error);
          return;
        }
      }
      if (wrote !== ACK.length) {
        fail(new PeerGoneError('the hub closed the handshake'));
        return;
      }
      const input = fdSocket(down, 'read');
      const output = fdSocket(up, 'write');
      cleanup(true);
      resolve(new StreamConnection(input, output, { maxFrameSize: o.maxFrameSize, peer: {} }));
    };

    const onWelcome = (): void => {
      if (settled) return;
      const buf = new Uint8Array(WELCOME.length);
      let n: number;
      try {
        n = readFd(down, buf);
      } catch (err) {
        fail(err as Error);
        return;
      }
      if (n === WOULD_BLOCK) return;
      if (n !== WELCOME.length || !isMagic(buf, WELCOME)) {
        fail(new PeerGoneError(n === 0 ? 'the hub closed the handshake' : 'the hub sent no welcome'));
        return;
      }
      watch?.close();
      watch = undefined;
      clearInterval(reannounce);
      openWriter();
    };

    try {
      if (o.signal?.aborted) throw new AbortedError(`connect to ${o.url}`, o.signal.reason);
      o.signal?.addEventListener('abort', onAbort, { once: true });
      checkDir(o.dir, o.url);
      // The rendezvous first: without a hub (ENOENT) or with a dead one (ENXIO), fail at once.
      rendezvous = openFifo(join(o.dir, RENDEZVOUS), O.WRONLY);
      mkfifo(downPath, 0o600);
      mkfifo(upPath, 0o600);
      down = openFifo(downPath, O.RDONLY);
      watch = watchReadable(down, onWelcome);
      announce();
    } catch (err) {
      fail(err as Error);
    }
  });
}
