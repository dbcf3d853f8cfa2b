/**
 * The unibus error taxonomy: one class per condition a caller would catch, each with a stable
 * `code` that is the same on every transport. Bad arguments use the built-in `TypeError` and
 * `RangeError`; failures of system calls keep Node's shape (`code`, `errno`, `syscall`, `path`),
 * see {@link systemError}.
 *
 * @example
 * ```ts
 * try { await bus.request('time.now', null, { timeout: 500 }); }
 * catch (err) { if (err instanceof NoRespondersError) console.log('nobody serves time.now'); }
 * ```
 * @module
 */
import { getSystemErrorName } from 'node:util';

/** Every stable error code unibus uses. */
export type UnibusErrorCode =
  | 'ERR_UNIBUS_FRAME_TOO_LARGE'
  | 'ERR_UNIBUS_PEER_GONE'
  | 'ERR_UNIBUS_CLOSED'
  | 'ERR_UNIBUS_TIMEOUT'
  | 'ERR_UNIBUS_ABORTED'
  | 'ERR_UNIBUS_NO_RESPONDERS'
  | 'ERR_UNIBUS_SLOW_CONSUMER'
  | 'ERR_UNIBUS_HUB_RUNNING'
  | 'ERR_UNIBUS_PERMISSION'
  | 'ERR_UNIBUS_PROTOCOL'
  | 'ERR_UNIBUS_INVALID_URL'
  | 'ERR_UNIBUS_INVALID_TOPIC'
  | 'ERR_UNIBUS_UNSUPPORTED'
  | 'ERR_UNIBUS_CODEC'
  | 'ERR_UNIBUS_DISCONNECTED'
  | 'ERR_UNIBUS_REQUEST_FAILED'
  | 'ERR_UNIBUS_POLICY'
  | 'ERR_UNIBUS_LIMIT'
  | 'ERR_UNIBUS_SAMPLE';

/** Base class of every unibus error; `code` is stable and safe to switch on. */
export class UnibusError extends Error {
  readonly code: UnibusErrorCode;
  constructor(code: UnibusErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A frame is larger than the connection's `maxFrameSize`; nothing was written. */
export class FrameTooLargeError extends UnibusError {
  readonly size: number;
  readonly maxFrameSize: number;
  constructor(size: number, maxFrameSize: number) {
    super('ERR_UNIBUS_FRAME_TOO_LARGE', `Frame too large: size=${size} maxFrameSize=${maxFrameSize}`);
    this.size = size;
    this.maxFrameSize = maxFrameSize;
  }
}

/** The other end went away (exited, was killed, or closed its side). */
export class PeerGoneError extends UnibusError {
  constructor(detail = 'the other end went away', options?: { cause?: unknown }) {
    super('ERR_UNIBUS_PEER_GONE', `Peer gone: ${detail}`, options);
  }
}

/** The object was closed by this process; the operation cannot proceed. */
export class ClosedError extends UnibusError {
  constructor(what = 'connection') {
    super('ERR_UNIBUS_CLOSED', `Closed: ${what} is closed`);
  }
}

/** A wait ran past its `timeout`. */
export class TimeoutError extends UnibusError {
  readonly timeout: number;
  constructor(what: string, timeout: number) {
    super('ERR_UNIBUS_TIMEOUT', `Timed out: ${what} after timeout=${timeout}ms`);
    this.timeout = timeout;
  }
}

/** A wait was cancelled through its `AbortSignal`; `cause` is the signal's reason. */
export class AbortedError extends UnibusError {
  constructor(what: string, reason?: unknown) {
    super('ERR_UNIBUS_ABORTED', `Aborted: ${what}`, { cause: reason });
  }
}

/** A request found nobody serving its topic. */
export class NoRespondersError extends UnibusError {
  readonly topic: string;
  constructor(topic: string) {
    super('ERR_UNIBUS_NO_RESPONDERS', `No responders: nobody serves topic=${topic}`);
    this.topic = topic;
  }
}

/** A subscriber stalled longer than `maxStall` and was disconnected so others could go on. */
export class SlowConsumerError extends UnibusError {
  constructor(detail: string) {
    super('ERR_UNIBUS_SLOW_CONSUMER', `Slow consumer: ${detail}`);
  }
}

/** Another live hub already serves this URL; it is never taken over. */
export class HubRunningError extends UnibusError {
  readonly url: string;
  constructor(url: string, detail = 'another live hub holds it') {
    super('ERR_UNIBUS_HUB_RUNNING', `Hub already running: url=${url}: ${detail}`);
    this.url = url;
  }
}

/** The kernel or the hub refused access (file mode, owner uid). */
export class PermissionDeniedError extends UnibusError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_UNIBUS_PERMISSION', `Permission denied: ${detail}`, options);
  }
}

/** A peer sent bytes that break the protocol (garbage, bad lengths, wrong version). */
export class ProtocolError extends UnibusError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_UNIBUS_PROTOCOL', `Protocol error: ${detail}`, options);
  }
}

/** A URL that no transport accepts, or with bad parameters. */
export class InvalidUrlError extends UnibusError {
  readonly url: string;
  constructor(url: string, detail: string) {
    super('ERR_UNIBUS_INVALID_URL', `Invalid URL: ${detail}: url=${url}`);
    this.url = url;
  }
}

/** A topic or pattern that breaks the subject grammar. */
export class InvalidTopicError extends UnibusError {
  readonly topic: string;
  constructor(topic: string, detail: string) {
    super('ERR_UNIBUS_INVALID_TOPIC', `Invalid topic: ${detail}: topic=${JSON.stringify(topic)}`);
    this.topic = topic;
  }
}

/** The platform or the transport does not offer this feature. */
export class UnsupportedError extends UnibusError {
  constructor(detail: string) {
    super('ERR_UNIBUS_UNSUPPORTED', `Unsupported: ${detail}`);
  }
}

/** A payload could not be encoded or decoded. */
export class CodecError extends UnibusError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_UNIBUS_CODEC', `Codec error: ${detail}`, options);
  }
}

/** The bus lost its hub and the publish could not wait longer. */
export class DisconnectedError extends UnibusError {
  constructor(detail: string) {
    super('ERR_UNIBUS_DISCONNECTED', `Disconnected: ${detail}`);
  }
}

/** The server of a request failed; the message carries its error text. */
export class RequestFailedError extends UnibusError {
  readonly topic: string;
  constructor(topic: string, text: string) {
    super('ERR_UNIBUS_REQUEST_FAILED', `Request failed: topic=${topic}: ${text}`);
    this.topic = topic;
  }
}

/** The shape of Node's own system errors (`fs`, `net`). */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/**
 * Builds an error shaped like Node's system errors from a positive errno value.
 *
 * @example
 * ```ts
 * throw systemError('mkfifo', 17, '/tmp/x'); // EEXIST: mkfifo '/tmp/x'
 * ```
 */
export function systemError(syscall: string, errno: number, path?: string): SystemError {
  let code = 'UNKNOWN';
  try {
    code = getSystemErrorName(-Math.abs(errno));
  } catch {
    // unknown errno values keep code UNKNOWN
  }
  const where = path === undefined ? '' : ` '${path}'`;
  const err = new Error(`${code}: ${syscall}${where} failed (errno=${errno})`) as SystemError;
  err.code = code;
  err.errno = -Math.abs(errno);
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/** True when `err` is a Node-style system error with the given code. */
export function isSystemError(err: unknown, code?: string): err is SystemError {
  return err instanceof Error && typeof (err as SystemError).code === 'string'
    && typeof (err as SystemError).syscall === 'string'
    && (code === undefined || (err as SystemError).code === code);
}

/**
 * A hub policy that cannot be used: bad JSON, an unknown key, a bad pattern, an unknown user or
 * group, or a transport that cannot prove who its peers are. `key` names the bad place.
 * @example
 * ```ts
 * try { HubPolicy.fromFile('policy.json'); } catch (err) { if (err instanceof PolicyError) console.error(err.key); }
 * ```
 */
export class PolicyError extends UnibusError {
  readonly key: string;
  constructor(key: string, detail: string, options?: { cause?: unknown }) {
    super('ERR_UNIBUS_POLICY', `Policy error: ${key ? `${key}: ` : ''}${detail}`, options);
    this.key = key;
  }
}

/**
 * A hub's policy refused a publish or a subscription. It is a `PermissionDeniedError` (code
 * `ERR_UNIBUS_PERMISSION`) that says what was refused and which rule decided.
 * @example
 * ```ts
 * bus.subscribe('payroll.>').subscribe({ error: (e) => { if (e instanceof PolicyDeniedError) log(e.rule); } });
 * ```
 */
export class PolicyDeniedError extends PermissionDeniedError {
  readonly action: string;
  readonly subject: string;
  readonly rule: string;
  constructor(action: string, subject: string, rule: string) {
    super(`${action} ${subject} refused by the hub's policy: ${rule}`);
    this.action = action;
    this.subject = subject;
    this.rule = rule;
  }
}

/**
 * A path a hub would create or adopt is not safe to use: another user owns it, it is writable by
 * others, or it is not the kind of object expected (a planted FIFO, directory, key file or
 * socket). `code` stays `ERR_UNIBUS_PERMISSION`; `path`, `ownerUid` and `mode` say what was found.
 *
 * @example
 * ```ts
 * try { await Bus.listen('shm://app'); }
 * catch (err) { if (err instanceof UnsafePathError) console.error(err.path, err.ownerUid); }
 * ```
 */
export class UnsafePathError extends PermissionDeniedError {
  readonly path: string;
  readonly ownerUid: number;
  readonly mode: number;
  constructor(path: string, ownerUid: number, mode: number, detail: string) {
    super(`${detail}: path=${path} owner=${ownerUid} mode=0${(mode & 0o7777).toString(8)}`);
    this.path = path;
    this.ownerUid = ownerUid;
    this.mode = mode;
  }
}

/**
 * A hub refused something past one of its per-connection limits (e.g. `maxSubscriptions`); the
 * connection stays open. `limit` names the hub option.
 * @example
 * ```ts
 * bus.subscribe('a.b').subscribe({ error: (e) => { if (e instanceof LimitError) console.log(e.limit); } });
 * ```
 */
export class LimitError extends UnibusError {
  readonly limit: string;
  constructor(limit: string, detail: string) {
    super('ERR_UNIBUS_LIMIT', `Limit reached: ${limit}: ${detail}`);
    this.limit = limit;
  }
}

/**
 * A zero-copy sample used against its lifetime rules (published twice, written after publish, a
 * stale handle whose generation no longer matches, a pool that is not one); `detail` says which.
 * @example
 * ```ts
 * const s = await bus.loan('frames', 1024);
 * await s.publish();
 * try { s.data; } catch (e) { if (e instanceof SampleError) console.log(e.message); }
 * ```
 */
export class SampleError extends UnibusError {
  constructor(detail: string) {
    super('ERR_UNIBUS_SAMPLE', `Sample error: ${detail}`);
  }
}
