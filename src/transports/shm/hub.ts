/**
 * The hub side of `shm://name`: proves it is alive (hub liveness, taken before anything is made
 * or removed), removes what a dead hub of the same name left, then reads one-line announcements
 * from its FIFO. For each client it opens and checks the announced segment, makes its own
 * doorbell, opens the client's, marks the header attached and rings the client. No socket ever
 * carries data; the announce FIFO only carries who is arriving.
 * @module
 */
import { lstatSync, readdirSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { fdSocket } from '../../native/fd-socket.js';
import { O, openFd } from '../../native/fds.js';
import { AcceptQueue } from '../shared/accept-queue.js';
import { AdmissionReports } from '../shared/admission.js';
import { clearStale } from '../shared/ownership.js';
import type { Connection, Listener, TransportOptions } from '../transport.js';
import { ShmConnection } from './connection.js';
import { BellRope, Doorbell, unlinkQuietly } from './doorbell.js';
import { Header, HubState } from './layout.js';
import { CLIENT_ID, ShmNames, parseShmUrl, type ShmApi, type ShmOptions } from './options.js';
import { acquireHubLiveness, makeFifo } from './os.js';
import { openSegment, type Segment } from './segment.js';

/** An announcement is one short line; anything longer is garbage. */
const MAX_LINE = 128;

/** Removes every object of hub `names` from /dev/shm (only the liveness holder may call this). */
export function sweep(names: ShmNames): void {
  let entries: string[];
  try {
    entries = readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const entry of entries) if (entry.startsWith(names.prefix) && isMine(`/dev/shm/${entry}`)) unlinkQuietly(`/dev/shm/${entry}`);
}

/** Only our own objects are swept: another user's (even when we are root) is theirs to remove. */
function isMine(path: string): boolean {
  try {
    return lstatSync(path).uid === (process.geteuid?.() ?? 0);
  } catch {
    return false;
  }
}

class ShmListener implements Listener {
  readonly url: string;
  readonly #o: ShmOptions;
  readonly #names: ShmNames;
  readonly #liveness: Server;
  readonly #announce: Socket;
  readonly #accepted = new AcceptQueue();
  readonly #admission = new AdmissionReports();
  #line = '';
  #closing: Promise<void> | undefined;

  constructor(o: ShmOptions, names: ShmNames, liveness: Server) {
    this.url = o.url;
    this.#o = o;
    this.#names = names;
    this.#liveness = liveness;
    makeFifo(names.announce, o.mode);
    // O_RDWR: the FIFO always has a writer (us), so departing clients never cause EOF.
    const fd = openFd(names.announce, O.RDWR | O.NONBLOCK | O.NOFOLLOW);
    this.#announce = fdSocket(fd, 'read');
    this.#announce.setEncoding('latin1');
    this.#announce.on('data', (text: string) => this.#onAnnounce(text));
    this.#announce.on('error', () => undefined);
  }

  /** `AdmissionReporter`: clients the hub could not attach (out of file descriptors...) are reported. */
  onAdmissionError(report: (err: Error) => void): void {
    this.#admission.listen(report);
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  #onAnnounce(text: string): void {
    this.#line += text;
    let nl: number;
    while ((nl = this.#line.indexOf('\n')) >= 0) {
      const line = this.#line.slice(0, nl);
      this.#line = this.#line.slice(nl + 1);
      this.#admit(line);
    }
    if (this.#line.length > MAX_LINE) this.#line = ''; // garbage without newlines: drop it
  }

  /** Attaches one announced client; a bad announcement only costs that client. */
  #admit(line: string): void {
    if (this.#closing) return;
    const m = /^(\S+) (-|\d{1,10})$/.exec(line);
    if (!m || !CLIENT_ID.test(m[1]!)) return;
    const clientId = m[1]!;
    const api: ShmApi = m[2] === '-' ? 'posix' : 'sysv';
    const names = this.#names;
    const uid = this.#o.allowOtherUsers ? undefined : process.getuid?.();
    const hubBell = names.bell(clientId, 'hub');
    const clientBell = names.bell(clientId, 'client');
    let segment: Segment | undefined;
    let bell: Doorbell | undefined;
    let rope: BellRope | undefined;
    try {
      segment = openSegment(api, names, clientId, api === 'sysv' ? Number(m[2]) : -1, { uid, mode: this.#o.mode });
      const i32 = new Int32Array(segment.region.buffer, 0, 64);
      const clientPid = i32[Header.clientPid >>> 2]!;
      bell = new Doorbell(hubBell, this.#o.mode, () => undefined);
      rope = new BellRope(clientBell, uid);
      unlinkQuietly(clientBell); // both of its ends are open now
      i32[Header.hubPid >>> 2] = process.pid;
      // ORDER: hubPid and the doorbell exist before the client can see "attached".
      Atomics.store(i32, Header.hubState >>> 2, HubState.attached);
      rope.ring();
      const conn = new ShmConnection({
        segment, side: 'hub', bell, rope, peerPid: clientPid, options: this.#o,
        onRelease: () => unlinkQuietly(hubBell), // if the client died before opening it
      });
      this.#accepted.push(conn);
    } catch (err) {
      this.#admission.refuse(this.url, `client ${clientId}`, err);
      if (segment && rope) {
        Atomics.store(new Int32Array(segment.region.buffer, 0, 64), Header.hubState >>> 2, HubState.refused);
        rope.ring();
      }
      rope?.close();
      bell?.close();
      segment?.region.release();
      unlinkQuietly(hubBell);
      unlinkQuietly(clientBell);
      if (api === 'posix') unlinkQuietly(`/dev/shm${names.segment(clientId)}`);
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#accepted.end();
      this.#announce.destroy();
      unlinkQuietly(this.#names.announce);
      await this.#accepted.closeAll();
      sweep(this.#names);
      await new Promise<void>((resolve) => this.#liveness.close(() => resolve()));
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** `listen('shm://name')`: throws HubRunningError while another live hub serves the name. */
export async function listenShm(url: string, options: TransportOptions = {}): Promise<Listener> {
  const o = parseShmUrl(url, options);
  const names = new ShmNames(o.name);
  const liveness = await acquireHubLiveness(names.livenessPath, url);
  try {
    // A planted announce FIFO of another user is refused by name and owner (it was EEXIST: mkfifo).
    clearStale(names.announce, 'fifo');
    sweep(names); // whatever is there was left by a dead hub of this name
    return new ShmListener(o, names, liveness);
  } catch (err) {
    liveness.close();
    throw err;
  }
}
