/**
 * The client side of `shm://name`: makes its segment (rings for both directions) and its
 * doorbell, announces itself on the hub's FIFO in one line (atomic: far below PIPE_BUF), then
 * waits for its doorbell until the hub marked the segment attached. It then opens the hub's
 * doorbell and removes the last names, so nothing of this connection stays in /dev/shm.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { AbortedError, PermissionDeniedError, TimeoutError, UnibusError, systemError } from '../../errors.js';
import { Errno } from '../../native/errno.js';
import { closeFd, O, openFd, statFd, writeFd, WOULD_BLOCK } from '../../native/fds.js';
import type { Connection, TransportOptions } from '../transport.js';
import { ShmConnection } from './connection.js';
import { BellRope, Doorbell, unlinkQuietly } from './doorbell.js';
import { Header, HubState } from './layout.js';
import { ShmNames, parseShmUrl, type ShmOptions } from './options.js';
import { createSegment, type Segment } from './segment.js';

/** Retry period while no hub reads the announce FIFO yet. */
const RETRY_MS = 20;

let counter = 0;

/** `connect('shm://name')`: resolves once the hub attached this client's rings. */
export async function connectShm(url: string, options: TransportOptions = {}): Promise<Connection> {
  const o = parseShmUrl(url, options);
  if (o.signal?.aborted) throw new AbortedError(`connect to ${url}`, o.signal.reason);
  const names = new ShmNames(o.name);
  counter += 1;
  const clientId = `${process.pid.toString(36)}-${counter}-${randomBytes(4).toString('hex')}`;
  const segment = createSegment(o.api, names, clientId, o.capacity, o.mode);
  const bellPath = names.bell(clientId, 'client');
  const hubBellPath = names.bell(clientId, 'hub');
  let bell: Doorbell | undefined;
  try {
    let wake: () => void = () => undefined;
    bell = new Doorbell(bellPath, o.mode, () => wake());
    const line = `${clientId} ${segment.sysvId >= 0 ? segment.sysvId : '-'}\n`;
    const state = await rendezvous(o, names, segment, line, (fn) => { wake = fn; });
    if (state !== HubState.attached) throw new UnibusError('ERR_UNIBUS_PROTOCOL', `Protocol error: the hub refused the connection: url=${url}`);
    const i32 = new Int32Array(segment.region.buffer, 0, 64);
    const hubPid = i32[Header.hubPid >>> 2]!;
    const rope = new BellRope(hubBellPath, o.allowOtherUsers ? undefined : process.getuid?.());
    // Every end is open on both sides now: no name of this connection needs to stay.
    unlinkQuietly(hubBellPath);
    unlinkQuietly(bellPath);
    return new ShmConnection({ segment, side: 'client', bell, rope, peerPid: hubPid, options: o });
  } catch (err) {
    bell?.close();
    unlinkQuietly(bellPath);
    unlinkQuietly(hubBellPath);
    if (segment.sysvId < 0) unlinkQuietly(`/dev/shm${names.segment(clientId)}`);
    segment.region.release();
    throw err;
  }
}

/**
 * Announces the client until a hub reads it, then waits for the hub's verdict in the header.
 * Resolves with the hub state; rejects on timeout or abort.
 */
function rendezvous(o: ShmOptions, names: ShmNames, segment: Segment, line: string,
  onWake: (fn: () => void) => void): Promise<number> {
  const i32 = new Int32Array(segment.region.buffer, 0, 64);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let announced = false;
    const deadline = setTimeout(() => finish(new TimeoutError(`connect to ${o.url} (${announced
      // A hub out of file descriptors cannot even open our segment to refuse us: say where to look.
      ? 'the hub read this client\'s announcement but did not attach it; a hub out of file descriptors or memory does this and says why in an error event'
      : 'no hub answered'})`, o.connectTimeout)), o.connectTimeout);
    const onAbort = (): void => finish(new AbortedError(`connect to ${o.url}`, o.signal?.reason));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: number | Error): void => {
      clearTimeout(deadline);
      clearTimeout(timer);
      onWake(() => undefined);
      o.signal?.removeEventListener('abort', onAbort);
      if (typeof result === 'number') resolve(result);
      else reject(result);
    };
    const check = (): void => {
      // ORDER: the hub stored hubPid before this flag.
      const state = Atomics.load(i32, Header.hubState >>> 2);
      if (state !== HubState.waiting) finish(state);
    };
    const tryAnnounce = (): void => {
      try {
        announce(names.announce, line, o.allowOtherUsers);
        announced = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // No hub yet (ENOENT), nobody reading (ENXIO), FIFO full (EAGAIN): try again.
        if (code !== 'ENOENT' && code !== 'ENXIO' && code !== 'EAGAIN') {
          finish(err as Error);
          return;
        }
        timer = setTimeout(tryAnnounce, RETRY_MS);
      }
    };
    onWake(check);
    tryAnnounce();
  });
}

/** One atomic line into the hub's announce FIFO, after checking it is a FIFO of ours. */
function announce(path: string, line: string, allowOtherUsers: boolean): void {
  const fd = openFd(path, O.WRONLY | O.NONBLOCK | O.NOFOLLOW);
  try {
    const st = statFd(fd);
    const uid = process.getuid?.();
    if (!st.isFIFO() || (!allowOtherUsers && uid !== undefined && st.uid !== uid)) {
      throw new PermissionDeniedError(`announce FIFO is not a FIFO owned by uid=${uid}: path=${path} owner=${st.uid}`);
    }
    // One line of at most PIPE_BUF bytes: written whole or not at all (EAGAIN: hub not reading).
    if (writeFd(fd, Buffer.from(line, 'latin1')) === WOULD_BLOCK) throw systemError('write', Errno.EAGAIN);
  } finally {
    closeFd(fd);
  }
}
