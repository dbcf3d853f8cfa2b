/**
 * What a client of the Transport suite does, written once: the same role runs in a child
 * process (clients/peer.ts, for transports whose peers are processes) or in the test process
 * (for `memory://`). A role talks to the test through lines it prints (`ready`, `got …`).
 * @module
 */
import type { Connection } from '../../transports/transport.js';
import { canWriteInPlace, handsBack, provesPeer, reportsFill } from '../../transports/capabilities.js';

/** What a role may do besides using its connection. */
export interface RoleContext {
  readonly conn: Connection;
  readonly args: readonly string[];
  /** One line to the test (stdout in a child process). */
  print(line: string): void;
  /** Leaves at once without `close()`: `process.exit` in a child, `destroy` in-process. */
  exit(): void;
  /** Dies by SIGKILL in a child (`destroy` in-process). */
  kill(): void;
}

export type Role = (ctx: RoleContext) => Promise<void>;

/** Bytes of the header of a numbered frame: u32 sender id, u32 sequence (big-endian). */
export const NUMBERED_HEADER = 8;

/** A frame `size` bytes long (at least 8) carrying (id, seq) and a checkable fill. */
export function numbered(id: number, seq: number, size: number): Uint8Array {
  const frame = new Uint8Array(Math.max(size, NUMBERED_HEADER));
  const view = new DataView(frame.buffer);
  view.setUint32(0, id);
  view.setUint32(4, seq);
  for (let i = NUMBERED_HEADER; i < frame.length; i++) frame[i] = (seq + i) & 0xff;
  return frame;
}

/** Reads (id, seq) of a numbered frame; throws if its fill is not what `numbered` wrote. */
export function readNumbered(frame: Uint8Array): { id: number; seq: number } {
  if (frame.length < NUMBERED_HEADER) throw new Error(`numbered frame too short: length=${frame.length}`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const id = view.getUint32(0);
  const seq = view.getUint32(4);
  for (let i = NUMBERED_HEADER; i < frame.length; i++) {
    if (frame[i] !== ((seq + i) & 0xff)) throw new Error(`frame id=${id} seq=${seq} corrupt at byte ${i}`);
  }
  return { id, seq };
}

/** Checks that numbered frames of each sender arrive in order, with no gap and no duplicate. */
export class OrderChecker {
  readonly next = new Map<number, number>();
  count = 0;
  bytes = 0;

  check(frame: Uint8Array): void {
    const { id, seq } = readNumbered(frame);
    const want = this.next.get(id) ?? 0;
    if (seq !== want) throw new Error(`sender ${id}: got seq=${seq}, expected seq=${want}`);
    this.next.set(id, want + 1);
    this.count += 1;
    this.bytes += frame.length;
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

const errorName = (err: unknown): string => (err instanceof Error ? err.constructor.name : typeof err);

/** Echoes every frame back until the connection ends. */
const echo: Role = async ({ conn, print }) => {
  print('ready');
  for await (const frame of conn) await conn.send(frame);
  const closed = await conn.closed;
  print(`end ${closed.reason}`);
};

/** Prints which optional capabilities its connection has (`caps inPlace=… fill=… …`), then echoes. */
const capabilities: Role = async (ctx) => {
  const { conn } = ctx;
  ctx.print(`caps inPlace=${canWriteInPlace(conn)} fill=${reportsFill(conn)} provesPeer=${provesPeer(conn)} handsBack=${handsBack(conn)}`);
  await echo(ctx);
};

/**
 * Writes `frame` in place (`InPlaceWriter.reserveFrame` / `commitFrame`) where the connection
 * can, or with `write()` where it cannot (no such capability, or not this frame now). Returns
 * what `write()` would.
 */
export function writeInPlace(conn: Connection, frame: Uint8Array): boolean {
  if (!canWriteInPlace(conn)) return conn.write(frame);
  const at = conn.reserveFrame(frame.length);
  if (at < 0) return conn.write(frame);
  conn.reservedBuffer.set(frame, at);
  return conn.commitFrame();
}

/**
 * `sender <count> <size> <then> [id]`: sends numbered frames, the bulk through `write()` and
 * `drained()` (every other one written in place, `writeInPlace`), the last through `send()`; then `close` (graceful), `exit` (process.exit right
 * after the last send resolved), `kill` (SIGKILL itself right after) or `stay`.
 */
const sender: Role = async ({ conn, args, print, exit, kill }) => {
  const count = Number(args[0]);
  const size = Number(args[1]);
  const then = args[2] ?? 'close';
  const id = Number(args[3] ?? 0);
  print('ready');
  for (let seq = 0; seq < count - 1; seq++) {
    const frame = numbered(id, seq, size);
    if (!((seq & 1) === 1 ? writeInPlace(conn, frame) : conn.write(frame))) await conn.drained();
  }
  if (count > 0) await conn.send(numbered(id, count - 1, size));
  if (then === 'exit') return exit();
  if (then === 'kill') return kill();
  print(`sent ${count}`);
  if (then === 'close') await conn.close();
};

/** `flood <count> <size>`: numbered frames through `send()` one at a time, printing each. */
const flood: Role = async ({ conn, args, print }) => {
  const count = Number(args[0]);
  const size = Number(args[1]);
  print('ready');
  for (let seq = 0; seq < count; seq++) {
    await conn.send(numbered(5, seq, size));
    print(`sent ${seq + 1}`);
  }
  await conn.close();
};

/** `sink <count>`: takes numbered frames in push mode, checks order; prints once it has them all. */
const sink: Role = async ({ conn, args, print }) => {
  const count = Number(args[0]);
  const order = new OrderChecker();
  print('ready');
  let failure: Error | undefined;
  conn.consume((frame) => {
    if (failure) return;
    try {
      order.check(frame);
    } catch (err) {
      failure = err as Error;
      print(`bad ${failure.message}`);
    }
    if (order.count === count) print(`got ${order.count} bytes ${order.bytes}`);
  });
  const closed = await conn.closed;
  print(`end ${closed.reason} ${order.count}`);
};

/** Connects and never reads: the medium towards it fills. */
const blockedReader: Role = async ({ conn, print }) => {
  print('ready');
  // A socket that is not read keeps no process alive: hold it open until the test kills the
  // process (or destroys the connection in-process).
  const alive = setInterval(() => undefined, 1 << 30);
  await conn.closed;
  clearInterval(alive);
};

/** `oversize <maxFrameSize>`: a too-large frame is refused before anything is written. */
const oversize: Role = async ({ conn, args, print }) => {
  const max = Number(args[0]);
  try {
    conn.write(new Uint8Array(max + 1));
    print('write accepted an oversized frame');
  } catch (err) {
    print(`write refused ${errorName(err)}`);
  }
  const half = new Uint8Array(Math.ceil((max + 1) / 2));
  await conn.send([half, half]).then(
    () => print('send accepted an oversized frame'),
    (err: unknown) => print(`send refused ${errorName(err)}`),
  );
  await conn.send(text('after'));
  for await (const frame of conn) {
    print(`reply ${untext(frame)}`);
    break;
  }
};

/**
 * Blocks a send (the hub does not read) and a receive (the hub sends nothing), then calls
 * `close()`: both must wake, and a child process must then exit on its own.
 */
const closeWakes: Role = async ({ conn, print }) => {
  const chunk = new Uint8Array(4096);
  const settle = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (err: unknown) => `rejected ${errorName(err)}`);
  const pendingAfter = (p: Promise<string>, ms: number): Promise<boolean> =>
    Promise.race([p.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
  // Fill until a send really waits: a first "full" may be a local mark that drains into the medium.
  let written = 0;
  let pendingSend: Promise<string>;
  for (;;) {
    while (conn.write(chunk)) written++;
    pendingSend = settle(conn.send(chunk));
    if (await pendingAfter(pendingSend, 300) || written > 100_000) break;
  }
  const pendingNext = settle(conn[Symbol.asyncIterator]().next().then((r) => { if (!r.done) throw new Error('a frame'); }));
  const early = await Promise.race([pendingSend, pendingNext, new Promise((r) => setTimeout(() => r('pending'), 50))]);
  print(`blocked ${written} ${early}`);
  await conn.close();
  print(`send ${await pendingSend}`);
  print(`next ${(await pendingNext) === 'resolved' ? 'done' : await pendingNext}`);
  print(`closed ${(await conn.closed).reason}`);
};

/** Every role by name. */
export const roles: Record<string, Role> = {
  echo,
  sender,
  flood,
  sink,
  'blocked-reader': blockedReader,
  oversize,
  'close-wakes': closeWakes,
  capabilities,
};

export { text, untext };
