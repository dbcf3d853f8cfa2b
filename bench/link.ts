/**
 * The seam between the measurement protocol and what is measured: a `Link` carries values both
 * ways between the two sides of one case (a raw socket, Node's IPC channel, or a Bus).
 * @module
 */

/** A bidirectional, ordered message link as a hand-written program would use it. */
export interface Link {
  /**
   * Sends one value. Returns `false` when the caller should `await drained()` before sending
   * more (the value is still sent). Must not keep a reference to `value` that it later reads
   * after the caller changes it (the bench never changes a payload, but it reuses one).
   */
  send(value: unknown): boolean;
  /** Resolves once the link has room again. */
  drained(): Promise<void>;
  /** Push delivery of every received value, in order; set once, before the first message. */
  onMessage(handler: (value: unknown) => void): void;
  /** Sends what was accepted, then releases everything. */
  close(): Promise<void>;
  /** Request/reply where the link has it (the Bus): resolves with the other side's echo. */
  request?(value: unknown): Promise<unknown>;
}

/** What the payload of one case is made of. */
export type PayloadKind = 'bytes' | 'string';

/** Everything a side process needs to know about its case; passed as JSON on the command line. */
export interface CaseSpec {
  /** Case name as printed (`net-msgpackr`, `ipc-json`, `unix`, …). */
  readonly name: string;
  /** Which link module runs it. */
  readonly kind: 'net' | 'ipc' | 'bus' | 'transport' | 'relay';
  /** Unique per measurement: names of sockets, segments and topics derive from it. */
  readonly id: string;
  /** For `bus` and `transport`: the URL both sides use (`pipe:` children get theirs from the transport). */
  readonly url?: string;
  /** For `ipc`: Node's serialization of the channel. */
  readonly serialization?: 'json' | 'advanced';
  readonly size: number;
  /** `object`: every payload is `{ id, text }` with a text of `size` characters (`--payload object`). */
  readonly shape?: 'object';
  readonly warmupMs: number;
  readonly oneWayMs: number;
  readonly pingWarmupMs: number;
  /** 0 = no ping-pong phase. */
  readonly pingMs: number;
  /**
   * Which way the one-way phase runs: `c2h` (default) the child (a bus client) sends to the
   * parent (the hub); `h2c` the parent sends and the child counts.
   */
  readonly direction?: 'c2h' | 'h2c';
  /** For `relay`: subscriber processes (1 = relay, more = fan-out); one publisher besides. */
  readonly subscribers?: number;
}

/** How the parent side starts the other process: `command args…` runs `side.js child <spec>`. */
export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** The parent's end of a case once the other side is up. */
export interface ParentEnd {
  readonly link: Link;
  /** Both sides run in this process (`memory://`): one `process.cpuUsage()` covers both. */
  readonly sameProcess: boolean;
  /** Resolves when the other side has finished (its process exited, or its task ended). */
  readonly otherDone: Promise<unknown>;
  /** Releases what the parent made (listener, hub, files). */
  close(): Promise<void>;
}

/** One way of connecting the two sides. */
export interface LinkFactory {
  readonly payloadKind: PayloadKind;
  /** In the parent: set up, start the other side, return once it is connected. */
  parent(spec: CaseSpec, child: ChildCommand): Promise<ParentEnd>;
  /** In the child process: connect to the parent. */
  child(spec: CaseSpec): Promise<Link>;
}

/** An object payload: what `--payload object` sends on every case (a text of `size` characters). */
export interface ObjectPayload {
  readonly id: number;
  readonly text: string;
}

/**
 * A payload of `size` bytes (or characters), filled with varied bytes, made once per side; with
 * `shape: 'object'`, an `ObjectPayload` on every kind of link.
 */
export function makePayload(kind: PayloadKind, size: number, shape?: 'object'): Uint8Array | string | ObjectPayload {
  if (shape === 'object') return { id: 42, text: makePayload('string', size) as string };
  if (kind === 'string') return 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36)).slice(0, size);
  const bytes = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Size of a received payload, or -1 when it is not one. */
export function payloadSize(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'object' && value !== null && typeof (value as ObjectPayload).text === 'string' && !('op' in value)) {
    return (value as ObjectPayload).text.length;
  }
  return -1;
}

/** Control messages of the protocol; payloads are never plain objects with `op`. */
export type Control =
  | { readonly op: 'ready' }
  | { readonly op: 'send'; readonly n: number }
  | { readonly op: 'count'; readonly n: number }
  | { readonly op: 'counted'; readonly errors: number }
  | { readonly op: 'cpu'; readonly user?: number; readonly system?: number }
  | { readonly op: 'bye' };

export function isControl(value: unknown): value is Control {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'op' in value;
}
