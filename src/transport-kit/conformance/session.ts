/**
 * One hub per test case, with its peers: started through the fixture (child processes when
 * the transport is cross-process, in-process roles otherwise) and torn down whatever happened,
 * checking that every accepted connection's `closed` resolved and nothing of the URL is left.
 * @module
 */
import * as assert from 'uvu/assert';
import { ChildSet, script, type Child } from './processes.js';
import { within } from './watchdog.js';
import type { Connection, Listener, TransportOptions } from '../../transports/transport.js';
import type { TransportFixture } from './fixture.js';
import { roles, type Role } from './roles.js';

/** The client process every cross-process peer runs. */
export const PEER_SCRIPT = script(import.meta.url, './clients/peer.js');
/** A hub process (for the stale-hub case). */
export const HUB_SCRIPT = script(import.meta.url, './clients/hub.js');

/** A client playing a role: a child process or an in-process task, seen the same way. */
export interface Peer {
  readonly lines: readonly string[];
  /** Process id of a child; undefined in-process. */
  readonly pid: number | undefined;
  waitLine(re: RegExp, ms?: number): Promise<string>;
  waitExit(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

/** A role run in this process over `fixture.connect` (for transports that are not cross-process). */
class InProcessPeer implements Peer {
  readonly lines: string[] = [];
  readonly pid = undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #conn: Connection | undefined;
  #error = '';
  #waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];

  constructor(connecting: Promise<Connection>, role: Role, args: readonly string[]) {
    const print = (line: string): void => {
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
    };
    const leave = (): void => this.#conn?.destroy('clean');
    this.exited = (async () => {
      const conn = this.#conn = await connecting;
      await role({ conn, args, print, exit: leave, kill: leave });
      return { code: 0, signal: null };
    })().catch((err: Error) => {
      this.#error = err.stack ?? String(err);
      return { code: 1, signal: null };
    });
  }

  waitLine(re: RegExp, ms = 15_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return within(ms, `in-process peer printing ${re} (lines: ${this.lines.slice(-5).join(' | ')} ${this.#error})`,
      new Promise<string>((resolve) => this.#waiters.push({ resolve, re })));
  }

  async waitExit(ms = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const r = await within(ms, 'in-process peer finishing', this.exited);
    if (r.code !== 0) throw new Error(`in-process peer failed: ${this.#error}`);
    return r;
  }

  /** In-process there is no process to signal: the peer's connection is destroyed instead. */
  kill(): void {
    this.#conn?.destroy('clean');
  }
}

export interface PeerOptions {
  maxFrameSize?: number;
}

/** Starts a peer playing `role` against `listener` on `url`. */
export function startPeer(
  fixture: TransportFixture, listener: Listener, url: string, children: ChildSet,
  role: string, args: readonly string[] = [], options: PeerOptions = {},
): Peer {
  const fn = roles[role];
  if (!fn) throw new TypeError(`unknown role: ${role}`);
  if (!fixture.capabilities.crossProcess) {
    const opts: TransportOptions = options.maxFrameSize ? { maxFrameSize: options.maxFrameSize } : {};
    return new InProcessPeer(fixture.connect(url, opts), fn, args);
  }
  const env: NodeJS.ProcessEnv = options.maxFrameSize ? { UNIBUS_MAX_FRAME_SIZE: String(options.maxFrameSize) } : {};
  const child: Child = children.add(fixture.spawnClient(listener, url, PEER_SCRIPT, [role, ...args], env));
  return {
    lines: child.lines,
    get pid() { return child.pid; },
    waitLine: (re, ms) => child.waitLine(re, ms),
    async waitExit(ms) {
      const r = await child.waitExit(ms);
      if (r.code !== 0) throw new Error(`peer ${role} exited with ${r.code ?? r.signal}: ${child.stderr.slice(-800)}`);
      return r;
    },
    kill: (signal = 'SIGKILL') => child.kill(signal),
  };
}

/** A case's body must finish within this; its teardown then still runs. */
export const SESSION_WATCHDOG_MS = 90_000;

/** A hub for one test case. */
export class Session {
  readonly fixture: TransportFixture;
  readonly url: string;
  readonly listener: Listener;
  readonly children = new ChildSet();
  readonly #peers: Peer[] = [];
  readonly #accepted: Connection[] = [];
  readonly #accepting: AsyncIterator<Connection>;

  constructor(fixture: TransportFixture, url: string, listener: Listener) {
    this.fixture = fixture;
    this.url = url;
    this.listener = listener;
    this.#accepting = listener[Symbol.asyncIterator]();
  }

  /** The next connection the hub accepts. */
  async accept(ms = 20_000): Promise<Connection> {
    const r = await within(ms, `accepting a connection on ${this.url}`, this.#accepting.next());
    if (r.done) throw new Error('listener ended while a connection was expected');
    this.#accepted.push(r.value);
    return r.value;
  }

  /** Starts a peer playing `role`. */
  peer(role: string, args: readonly string[] = [], options: PeerOptions = {}): Peer {
    const p = startPeer(this.fixture, this.listener, this.url, this.children, role, args, options);
    this.#peers.push(p);
    return p;
  }

  /** Kills the peers, closes the hub, checks every `closed` resolved and nothing is left. */
  async teardown(): Promise<void> {
    for (const p of this.#peers) p.kill('SIGKILL');
    await within(15_000, 'peers exiting at teardown', this.children.killAll());
    await within(20_000, `listener.close() on ${this.url}`, this.listener.close());
    const ends = await within(10_000, 'closed of every accepted connection after listener.close()',
      Promise.all(this.#accepted.map((c) => c.closed)));
    for (const end of ends) assert.type(end.reason, 'string');
    assert.equal(await this.fixture.leftovers(this.url), [], `leftovers of ${this.url} after listener.close()`);
  }
}

/** Runs `body` with a fresh hub on a fresh URL, and tears it down whatever happens. */
export async function withSession(
  fixture: TransportFixture, label: string, options: TransportOptions | undefined,
  body: (s: Session) => Promise<void>,
): Promise<void> {
  const url = fixture.url(label);
  const session = new Session(fixture, url, await fixture.listen(url, options));
  let failure: unknown;
  try {
    // A hung case still reaches teardown, which kills its peers and closes the hub.
    await within(SESSION_WATCHDOG_MS, `case on ${url}`, body(session));
  } catch (err) {
    failure = err;
  }
  try {
    await session.teardown();
  } catch (err) {
    failure ??= err;
  }
  if (failure !== undefined) throw failure;
}
