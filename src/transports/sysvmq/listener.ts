/**
 * The sysvmq hub side: holds the liveness lock, owns the rendezvous queue, and for each HELLO
 * creates a private queue pair (IPC_PRIVATE, owner-only), records it in the rendezvous queue
 * (so a next hub can clean up after a crash) and WELCOMEs the client on its wake queue.
 * @module
 */
import { unlinkSync } from 'node:fs';
import { Errno } from '../../native/errno.js';
import { IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, MSG_NOERROR, MsgBuffer, msgGetRaw, msgReceive, msgRemove } from '../../native/sysv-msg.js';
import { systemError } from '../../errors.js';
import { AcceptQueue } from '../shared/accept-queue.js';
import { AdmissionReports } from '../shared/admission.js';
import type { Connection, Listener } from '../transport.js';
import { SysvConnection } from './connection.js';
import type { LivenessHold } from './liveness.js';
import { watchPeer, type PeerWatch } from './peer-watch.js';
import { addRecord, dropRecord, removeIfOurs } from './rendezvous.js';
import type { SysvmqAddress } from './url.js';
import type { Waker, WakeTarget } from './waker.js';
import { decodeHello, encodeWelcome, HELLO_BYTES, RV_HELLO, Wake, type Hello } from './wire.js';

/** A HELLO whose wake was lost is still picked up by this slow poll. */
const POLL_MS = 1000;

export interface ListenerParts {
  address: SysvmqAddress;
  rendezvous: number;
  createdKeyFile: boolean;
  liveness: LivenessHold;
  waker: Waker;
  endpoint: number;
  msgmax: number;
  maxFrameSize: number;
  mode: number;
  allowOtherUsers: boolean;
}

export class SysvmqListener implements Listener, WakeTarget {
  readonly url: string;
  readonly #p: ListenerParts;
  readonly #accepted = new AcceptQueue();
  readonly #helloBuf = new MsgBuffer(HELLO_BYTES + 32);
  readonly #poll: NodeJS.Timeout;
  #wantAccept = true;
  /**
   * Exit watches on the client processes met, by their wake queue: a SIGKILLed client cannot
   * remove its own wake queue, so the hub does once the process has exited. The watches outlive
   * `close()` (unref'd pidfds) for clients that were killed just before it.
   */
  readonly #clientWakes = new Map<number, PeerWatch>();
  readonly #admission = new AdmissionReports();
  #closing: Promise<void> | undefined;
  /** HELLOs that broke the format (counted, otherwise ignored). */
  garbage = 0;

  constructor(parts: ListenerParts) {
    this.#p = parts;
    this.url = parts.address.url;
    parts.waker.retarget(parts.endpoint, this);
    this.#poll = setInterval(() => this.#accept(), POLL_MS);
    this.#poll.unref();
  }

  /** `AdmissionReporter`: clients refused for a cause of the hub's (file descriptors...) are reported. */
  onAdmissionError(report: (err: Error) => void): void {
    this.#admission.listen(report);
  }

  onWake(text: Uint8Array): void {
    if (text[0] === Wake.Hello) this.#wantAccept = true;
  }

  afterWakes(): void {
    if (this.#wantAccept) this.#accept();
  }

  #accept(): void {
    this.#wantAccept = false;
    if (this.#closing) return;
    for (;;) {
      const n = msgReceive(this.#p.rendezvous, this.#helloBuf, RV_HELLO, IPC_NOWAIT | MSG_NOERROR);
      if (n === -Errno.EINTR) continue;
      if (n < 0) return; // ENOMSG; EIDRM only if someone removed our queue
      const hello = decodeHello(this.#helloBuf.text.subarray(0, n));
      if (hello === null) {
        this.garbage++;
        continue;
      }
      this.#welcome(hello);
    }
  }

  #welcome(hello: Hello): void {
    const p = this.#p;
    if (!p.allowOtherUsers && hello.uid !== (process.getuid?.() ?? 0)) {
      p.waker.post(hello.wakeQueue, hello.endpoint, rejectText(`uid=${hello.uid} is not allowed (allowOtherUsers is off)`));
      return;
    }
    const c2h = msgGetRaw(IPC_PRIVATE, IPC_CREAT | p.mode);
    const h2c = c2h < 0 ? c2h : msgGetRaw(IPC_PRIVATE, IPC_CREAT | p.mode);
    if (h2c < 0) {
      if (c2h >= 0) msgRemove(c2h);
      // ENOSPC: kernel.msgmni reached. The hub's own shortage: a LimitError, reported (it was a
      // permission refusal, which the client read as PermissionDeniedError).
      this.#refuse(hello, systemError('msgget', -h2c));
      return;
    }
    const rv = p.rendezvous;
    // Recorded at once: a hub killed from here on leaves queues the next hub finds and removes.
    addRecord(rv, c2h);
    addRecord(rv, h2c);
    addRecord(rv, hello.wakeQueue);
    let made: { conn: SysvConnection; endpoint: number };
    try {
      made = this.#connect(hello, c2h, h2c);
    } catch (err) {
      // E.g. EMFILE for the pidfd that watches the client: refuse this client, keep serving.
      for (const q of [c2h, h2c]) { dropRecord(rv, q); msgRemove(q); }
      dropRecord(rv, hello.wakeQueue);
      this.#refuse(hello, err);
      return;
    }
    const sent = p.waker.post(hello.wakeQueue, hello.endpoint, encodeWelcome({
      c2h, h2c, maxFrameSize: made.conn.maxFrameSize, hubEndpoint: made.endpoint, hubPid: process.pid,
    }));
    const conn = made.conn;
    if (sent === 'gone') {
      conn.destroy('peer-gone');
      return;
    }
    this.#accepted.push(conn);
  }

  /** Tells the client of `hello` why it is not admitted (a coded REJECT), and reports it. */
  #refuse(hello: Hello, cause: unknown): void {
    const refusal = this.#admission.refuse(this.url, `client pid=${hello.pid}`, cause);
    this.#p.waker.post(hello.wakeQueue, hello.endpoint, rejectText(refusal.message, refusal.code));
  }

  /** The hub's end of a client's queue pair (throws when the client cannot be watched). */
  #connect(hello: Hello, c2h: number, h2c: number): { conn: SysvConnection; endpoint: number } {
    const p = this.#p;
    const rv = p.rendezvous;
    const wq = hello.wakeQueue;
    if (!this.#clientWakes.has(wq)) {
      this.#clientWakes.set(wq, watchPeer(hello.pid, () => {
        this.#clientWakes.delete(wq);
        removeIfOurs(wq);
      }));
    }
    const endpoint = p.waker.register(this); // taken over by the connection below
    try {
      const conn = new SysvConnection({
        role: 'hub',
        tx: h2c,
        rx: c2h,
        msgmax: p.msgmax,
        maxFrameSize: Math.min(p.maxFrameSize, hello.maxFrameSize),
        waker: p.waker,
        endpoint,
        peerWakeQueue: hello.wakeQueue,
        peerEndpoint: hello.endpoint,
        peer: { pid: hello.pid, uid: hello.uid },
        onRelease: (peerDead) => {
          dropRecord(rv, c2h);
          dropRecord(rv, h2c);
          dropRecord(rv, hello.wakeQueue);
          // A dead client process cannot remove its own wake queue. (`peerDead` comes from its
          // pidfd: it has exited, though it may still be an unreaped zombie that kill(pid, 0) sees.)
          if (peerDead) removeIfOurs(hello.wakeQueue);
        },
      });
      return { conn, endpoint };
    } catch (err) {
      p.waker.unregister(endpoint);
      throw err;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<Connection> {
    return this.#accepted[Symbol.asyncIterator]();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const p = this.#p;
      clearInterval(this.#poll);
      this.#accepted.end();
      await this.#accepted.closeAll();
      msgRemove(p.rendezvous);
      if (p.createdKeyFile && p.address.keyfile) {
        try { unlinkSync(p.address.keyfile); } catch { /* removed by someone else */ }
      }
      await p.liveness.release();
      p.waker.unregister(p.endpoint);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * A REJECT wake: its reason, behind its error code unless it is a permission refusal (the one
 * reason hubs of earlier versions sent, which their clients and ours read as PermissionDeniedError).
 */
function rejectText(reason: string, code = 'ERR_UNIBUS_PERMISSION'): Uint8Array {
  const coded = code === 'ERR_UNIBUS_PERMISSION' ? reason : `${code} ${reason}`;
  const text = Buffer.from(`\u0000${coded}`.slice(0, 240), 'utf8');
  text[0] = Wake.Reject;
  return text;
}
