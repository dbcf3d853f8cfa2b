/**
 * `sysvmq:///path/keyfile[?proj=N]` and `sysvmq://0x1234`: System V message queues.
 *
 * The hub creates a rendezvous queue (IPC_EXCL, 0600) at the URL's key; each client gets its own
 * private queue pair, so one stalled client never blocks the others (a queue holds only 16 KiB
 * here). Every process parks at most one thread-pool thread, on its wake queue (waker.ts).
 * docs/sysvmq.md describes the design and the wire format.
 *
 * @example
 * ```ts
 * import { sysvmqTransport } from './sysvmq-transport.js';
 * const hub = await sysvmqTransport.listen('sysvmq:///tmp/app.key');
 * const conn = await sysvmqTransport.connect('sysvmq:///tmp/app.key');
 * await conn.send(new TextEncoder().encode('hello'));
 * ```
 * @module
 */
import { readFileSync, unlinkSync } from 'node:fs';
import {
  AbortedError, LimitError, PermissionDeniedError, TimeoutError, ProtocolError, UnibusError, type UnibusErrorCode,
} from '../../errors.js';
import { DEFAULT_MSGMAX, IPC_NOWAIT, MsgBuffer, msgRemove, msgSend, msgStat } from '../../native/sysv-msg.js';
import { Errno } from '../../native/errno.js';
import { Backoff, sleep } from '../../sync/backoff.js';
import { commonOptions } from '../shared/url.js';
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Connection, Listener, Transport, TransportOptions } from '../transport.js';
import { SysvConnection } from './connection.js';
import { acquireLiveness } from './liveness.js';
import { SysvmqListener } from './listener.js';
import { createRendezvous, keyOf, openRendezvous } from './rendezvous.js';
import { parseSysvmqUrl } from './url.js';
import { acquireWaker, type Waker, type WakeTarget } from './waker.js';
import { decodeWelcome, encodeHello, RV_HELLO, Wake, type Welcome } from './wire.js';

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'pid',
  durable: false,
  peerDeathEvents: true,
  crossProcess: true,
  spawnsClients: false,
};

/** Largest message text here (the receiver's buffer must hold the sender's largest message). */
function msgmax(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/msgmax', 'latin1').trim());
    return Number.isInteger(n) && n >= 64 ? Math.min(n, 1 << 20) : DEFAULT_MSGMAX;
  } catch {
    return DEFAULT_MSGMAX;
  }
}

/** The process waker, with the clean-up of WELCOMEs that arrive after their connect gave up. */
function waker(): Waker {
  const w = acquireWaker();
  w.onOrphan ??= (text) => {
    const late = text[0] === Wake.Welcome ? decodeWelcome(text) : null;
    if (late === null) return;
    for (const q of [late.c2h, late.h2c]) {
      const st = msgStat(q);
      if (st && st.key === 0 && st.uid === (process.getuid?.() ?? 0)) msgRemove(q);
    }
  };
  return w;
}

async function listen(url: string, options: TransportOptions = {}): Promise<Listener> {
  const address = parseSysvmqUrl(url);
  const { maxFrameSize, mode } = commonOptions(url, options);
  const liveness = await acquireLiveness(address.livenessPath, address.url);
  let createdKeyFile = false;
  try {
    const k = keyOf(address, true);
    createdKeyFile = k.createdFile;
    const w = waker();
    if (options.allowOtherUsers === true) w.letOthersWake();
    const placeholder: WakeTarget = { onWake() {}, afterWakes() {} };
    const endpoint = w.register(placeholder);
    try {
      const rendezvous = await createRendezvous(address, k.key, mode, {
        hubPid: process.pid, wakeQueue: w.queueId, endpoint, livenessPath: address.livenessPath,
      });
      return new SysvmqListener({
        address, rendezvous, createdKeyFile, liveness, waker: w, endpoint, msgmax: msgmax(), maxFrameSize,
        mode: mode & 0o777, allowOtherUsers: options.allowOtherUsers === true,
      });
    } catch (err) {
      w.unregister(endpoint);
      throw err;
    }
  } catch (err) {
    if (createdKeyFile) {
      try { unlinkSync(address.keyfile!); } catch { /* gone */ }
    }
    await liveness.release();
    throw err;
  }
}

async function connect(url: string, options: TransportOptions = {}): Promise<Connection> {
  const address = parseSysvmqUrl(url);
  const { maxFrameSize } = commonOptions(url, options);
  const timeout = options.connectTimeout ?? 5000;
  const signal = options.signal;
  const deadline = Date.now() + timeout;
  const retry = new Backoff({ initial: 5, max: 100 });
  for (;;) {
    if (signal?.aborted) throw new AbortedError(`connect to ${address.url}`, signal.reason);
    const rv = openRendezvous(address, options.allowOtherUsers === true);
    if (rv !== null) {
      const conn = await handshake(rv.queue, rv.info, rv.uid, maxFrameSize, deadline, address.url, signal);
      if (conn !== null) return conn;
    }
    if (Date.now() >= deadline) throw new TimeoutError(`connect to ${address.url}`, timeout);
    await sleep(Math.min(retry.next(), Math.max(1, deadline - Date.now())), signal, `connect to ${address.url}`);
  }
}

/** Sends HELLO and waits for WELCOME. Null when the hub went away meanwhile (try again). */
async function handshake(
  rendezvous: number,
  info: { hubPid: number; wakeQueue: number; endpoint: number },
  hubUid: number,
  maxFrameSize: number,
  deadline: number,
  url: string,
  signal: AbortSignal | undefined,
): Promise<Connection | null> {
  const w = waker();
  // A hub of another user posts its WELCOME and wakes here.
  if (hubUid !== (process.getuid?.() ?? 0)) w.letOthersWake();
  let answer: Welcome | string | undefined;
  let wake: (() => void) | undefined;
  const pending: WakeTarget = {
    onWake(text) {
      if (text[0] === Wake.Welcome) answer = decodeWelcome(text) ?? 'a malformed WELCOME';
      else if (text[0] === Wake.Reject) answer = `refused: ${Buffer.from(text.subarray(1)).toString('utf8')}`;
    },
    afterWakes() { if (answer !== undefined) wake?.(); },
  };
  const endpoint = w.register(pending);
  let keep = false;
  try {
    const hello = encodeHello({ pid: process.pid, uid: process.getuid?.() ?? 0, wakeQueue: w.queueId, maxFrameSize, endpoint });
    const msg = new MsgBuffer(hello.length);
    msg.type = RV_HELLO;
    msg.text.set(hello);
    for (const retry = new Backoff({ initial: 2, max: 50 }); ;) {
      const r = msgSend(rendezvous, msg, hello.length, IPC_NOWAIT);
      if (r === 0) break;
      if (r === -Errno.EACCES) throw new PermissionDeniedError(`cannot write to the hub's queue: url=${url}`);
      if (r !== -Errno.EAGAIN && r !== -Errno.EINTR) return null; // removed: the hub is gone
      if (Date.now() >= deadline) return null;
      await sleep(retry.next());
    }
    w.post(info.wakeQueue, info.endpoint, Uint8Array.of(Wake.Hello));
    // Wait for the answer; every 100 ms check that the hub's queue still exists.
    while (answer === undefined) {
      if (signal?.aborted) throw new AbortedError(`connect to ${url}`, signal.reason);
      if (Date.now() >= deadline || msgStat(rendezvous) === null) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.max(1, Math.min(100, deadline - Date.now())));
        function done(): void { clearTimeout(t); wake = undefined; resolve(); }
        wake = done;
      });
    }
    if (typeof answer === 'string') throw refusal(answer, url);
    const welcome = answer;
    if (welcome.maxFrameSize < 1 || welcome.maxFrameSize > maxFrameSize) {
      throw new ProtocolError(`hub offered maxFrameSize=${welcome.maxFrameSize} above ours (${maxFrameSize})`);
    }
    keep = true;
    return new SysvConnection({
      role: 'client',
      tx: welcome.c2h,
      rx: welcome.h2c,
      msgmax: msgmax(),
      maxFrameSize: welcome.maxFrameSize,
      waker: w,
      endpoint,
      peerWakeQueue: info.wakeQueue,
      peerEndpoint: welcome.hubEndpoint,
      peer: { pid: welcome.hubPid },
    });
  } finally {
    if (!keep) {
      w.unregister(endpoint);
      if (typeof answer === 'object') for (const q of [answer.c2h, answer.h2c]) msgRemove(q);
    }
  }
}

/** The `sysvmq:` transport. */
export const sysvmqTransport: Transport = { scheme: 'sysvmq', capabilities, listen, connect };

/**
 * The error of a REJECT: a coded reason (`ERR_UNIBUS_LIMIT ...`: the hub could not admit us for a
 * cause of its own) keeps its code; an uncoded one is a permission refusal, as hubs always sent.
 */
function refusal(answer: string, url: string): UnibusError {
  const coded = /^refused: (ERR_UNIBUS_[A-Z_]+) (.*)$/s.exec(answer);
  if (!coded) return new PermissionDeniedError(`${answer}: url=${url}`);
  if (coded[1] === 'ERR_UNIBUS_LIMIT') return new LimitError('hub resources', `the hub refused this client: ${coded[2]!.replace(/^Limit reached: /, '')}`);
  return new UnibusError(coded[1] as UnibusErrorCode, `the hub refused this client: ${coded[2]}`);
}
