/**
 * What a supervisor is told (child specs, options) and what it tells (lifecycle events).
 * Durations are milliseconds and say so in their names, so a JSON config reads unambiguously.
 * @module
 */
import type { SpawnClientOptions, SpawnedClient } from '../../transports/transport.js';

/**
 * When a child that has exited is started again (OTP's terms):
 * - `permanent`: always;
 * - `transient`: only after an abnormal end (non-zero code, a signal, or killed as hung);
 * - `temporary`: never.
 */
export type RestartPolicy = 'permanent' | 'transient' | 'temporary';

/**
 * Which children restart when one fails:
 * - `one-for-one`: only that child;
 * - `one-for-all`: every child is stopped (reverse start order) and all are started again.
 */
export type RestartStrategy = 'one-for-one' | 'one-for-all';

/** One supervised child. */
export interface ChildSpec {
  /** Unique within the supervisor: letters, digits, `_` and `-` (it appears in bus topics). */
  name: string;
  /** The program (looked up in PATH like `child_process.spawn`). */
  command: string;
  args?: string[];
  /** Added to the supervisor's own environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Default `permanent`. */
  restart?: RestartPolicy;
  /**
   * Whether the child must heartbeat on its fd (default true). With false only a stop (SIGSTOP)
   * or an exit is noticed.
   */
  heartbeat?: boolean;
  /**
   * Preload unibus's heartbeat into a Node child (`NODE_OPTIONS=--import=…`), so it beats while
   * its event loop turns without calling `heartbeat()` itself. Default: true when `command` is a
   * Node binary (`node`, `nodejs`, or this process's `execPath`) and `heartbeat` is on.
   */
  autoHeartbeat?: boolean;
  /**
   * Where the child's stdout goes: `inherit` (default), `stderr` (the supervisor's stderr, so its
   * own stdout stays clean, as the CLI needs), or `ignore`. stderr is always inherited.
   */
  stdout?: 'inherit' | 'stderr' | 'ignore';
  /** SIGTERM → SIGKILL grace for this child (default: the supervisor's `graceMs`). */
  graceMs?: number;
}

/** Heartbeat watching. */
export interface HeartbeatSettings {
  /** How often the supervisor checks for beats and for a stopped state (default 1000). */
  intervalMs?: number;
  /** Consecutive intervals without a beat before a child is hung (default 3). */
  threshold?: number;
}

/** Exponential restart backoff, per child. */
export interface BackoffSettings {
  /** Delay before the first restart (default 100). */
  initialMs?: number;
  /** Largest delay (default 10000); the delay doubles per consecutive failure up to this. */
  maxMs?: number;
  /**
   * A run at least this long resets the consecutive-failure count (default: the larger of
   * `maxMs` and `intensity.periodMs`: a run that outlives the intensity window was healthy).
   */
  resetAfterMs?: number;
}

/** Restart intensity: more than `maxRestarts` within `periodMs` and the supervisor gives up. */
export interface IntensitySettings {
  /** Default 5. */
  maxRestarts?: number;
  /** Default 10000. */
  periodMs?: number;
}

/**
 * What the supervisor needs from a bus (the seam to `Bus`): publishing its events and, for a
 * `pipe:` hub, starting children connected to it (`Bus.spawn`).
 */
export interface SupervisorBus {
  publish(topic: string, payload: unknown): unknown;
  /** The URL the bus serves; a `pipe:` bus with `spawn` starts the children. */
  readonly url?: string;
  spawn?(command: string, args?: readonly string[], options?: SpawnClientOptions): SpawnedClient;
}

/** Options of `new Supervisor(options)`; also the shape of `unibus supervise`'s config file. */
export interface SupervisorOptions {
  /** Names the supervisor in events and bus topics (default `supervisor`). */
  name?: string;
  children: ChildSpec[];
  strategy?: RestartStrategy;
  heartbeat?: HeartbeatSettings;
  /** SIGTERM → SIGKILL grace when stopping a child (default 5000). */
  graceMs?: number;
  backoff?: BackoffSettings;
  intensity?: IntensitySettings;
  /**
   * Where the children connect. `pipe:` (the default): a hub the supervisor owns (or `bus`, when
   * that is a `pipe:` bus), which starts every child on its own pipe pair (`UNIBUS_URL=pipe:`,
   * so `Bus.connect()` in a child just works). Any other URL is handed to the children as
   * `UNIBUS_URL` and served by someone else (default then: `bus.url`).
   */
  url?: string;
  /**
   * Every event is also published on `$sys.supervisor.<name>.<type>`: on this bus, else on the
   * supervisor's own `pipe:` hub. `$sys.` is reserved for hubs: give a hub (`Bus.listen`), not a
   * client of one (its hub refuses client PUBs there with ERR). `false`: no bus at all (children get no `UNIBUS_URL` unless
   * `url` names one; `url: 'pipe:'` then is refused).
   */
  bus?: SupervisorBus | false;
  /** Mark this process a child subreaper (default true). */
  subreaper?: boolean;
}

/** Why a child was judged hung. */
export type HungReason = 'missed-heartbeats' | 'stopped';

/** Why the supervisor signals a child. */
export type SignalReason = 'hung' | 'shutdown' | 'strategy';

/** Why the supervisor stops. */
export type StopReason = 'shutdown' | 'gave-up' | 'all-exited';

interface Base {
  /** The supervisor's name. */
  readonly supervisor: string;
  /** `Date.now()` when it happened. */
  readonly at: number;
}
interface ChildBase extends Base {
  readonly child: string;
}

/** Lifecycle events, in the order they happen. */
export type SupervisorEvent =
  /** A child process runs (attempt 1 is the first start). */
  | (ChildBase & { readonly type: 'started'; readonly pid: number; readonly attempt: number })
  /** The command could not be started (ENOENT, EACCES): counted like a crash. */
  | (ChildBase & { readonly type: 'spawn-failed'; readonly error: string; readonly attempt: number })
  /** An interval passed without a beat (`missed` in a row). */
  | (ChildBase & { readonly type: 'heartbeat-missed'; readonly pid: number; readonly missed: number; readonly threshold: number })
  /** The child is judged hung and will be terminated. */
  | (ChildBase & { readonly type: 'hung'; readonly pid: number; readonly reason: HungReason })
  /** The supervisor signalled the child's process group. */
  | (ChildBase & { readonly type: 'signalled'; readonly pid: number; readonly signal: 'SIGTERM' | 'SIGKILL'; readonly reason: SignalReason })
  /** The child exited; every process of its group is gone. */
  | (ChildBase & { readonly type: 'exited'; readonly pid: number; readonly code: number | null; readonly signal: string | null })
  /** The child will be started again after `delayMs`. */
  | (ChildBase & { readonly type: 'restarting'; readonly attempt: number; readonly delayMs: number })
  /** The child ended and its policy says it stays down. */
  | (ChildBase & { readonly type: 'done' })
  /** Restart intensity exceeded: more than `maxRestarts` in `periodMs`; the supervisor stops. */
  | (ChildBase & { readonly type: 'gave-up'; readonly restarts: number; readonly periodMs: number })
  /** The supervisor is stopping every child (reverse start order). */
  | (Base & { readonly type: 'stopping'; readonly reason: StopReason })
  /** Every child is gone; the event stream completes after this. */
  | (Base & { readonly type: 'stopped'; readonly reason: StopReason })
  /** Something degraded but not fatal (e.g. the subreaper role could not be taken). */
  | (Base & { readonly type: 'warning'; readonly message: string });

/** The `type` of every event. */
export type SupervisorEventType = SupervisorEvent['type'];
