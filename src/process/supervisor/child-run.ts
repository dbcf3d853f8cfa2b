/**
 * One run of one child: spawn it (directly, or through a `pipe:` hub) in its own process group
 * with a heartbeat fd, watch its beats
 * and its scheduler state, terminate its group (SIGTERM, then SIGKILL after the grace), and
 * report how it ended once nothing of its group runs any more. Restart decisions are the
 * supervisor's; a run never outlives its process.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { PIPE_EXTRA_FD } from '../../transports/pipe/pipe-env.js';
import type { SpawnClientOptions, SpawnedClient } from '../../transports/transport.js';
import { HEARTBEAT_FD_ENV, HEARTBEAT_INTERVAL_ENV } from '../heartbeat.js';
import { isStoppedState, procStat } from '../proc-stat.js';
import { clearGroup, signalGroup, type Reaper } from './process-group.js';
import type { ResolvedChild } from './options.js';
import type { HungReason, SignalReason, SupervisorEvent } from './types.js';

/** The fd number of the heartbeat socket in a child spawned directly (after stdin, stdout, stderr). */
export const HEARTBEAT_FD = 3;
/** The heartbeat fd of a child started by a `pipe:` hub: after its bus pipes (fds 3, 4). */
export const PIPE_HEARTBEAT_FD = PIPE_EXTRA_FD;
/** Env var with the child's name, so a child knows which spec it runs as. */
export const CHILD_NAME_ENV = 'UNIBUS_SUPERVISOR_CHILD';

/** Preloaded into Node children so they beat without code (see heartbeat-auto.ts). */
const AUTO_HEARTBEAT = new URL('../heartbeat-auto.js', import.meta.url).href;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the supervisor stamps it with its name and the time. */
export type EventInput = DistributiveOmit<SupervisorEvent, 'supervisor' | 'at'>;

/** How a run ended. */
export interface RunEnd {
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the supervisor judged the child hung and killed it. */
  readonly hung?: HungReason;
  /** Set when the supervisor stopped it (shutdown or strategy): not the child's failure. */
  readonly stoppedBy?: SignalReason;
  /** Set when the command could not be started. */
  readonly spawnError?: string;
  /** How long it ran. */
  readonly ranMs: number;
}

/** What a run needs from its supervisor. */
export interface RunContext {
  readonly intervalMs: number;
  readonly threshold: number;
  /** Handed to the child as `UNIBUS_URL`. */
  readonly url: string | undefined;
  /** A `pipe:` hub's spawn: the child is started connected to it. Else a plain spawn. */
  readonly spawn: ((command: string, args: readonly string[], options: SpawnClientOptions) => SpawnedClient) | undefined;
  readonly reap: Reaper;
  emit(event: EventInput): void;
}

/** One started child process and its group. */
export class ChildRun {
  readonly spec: ResolvedChild;
  readonly attempt: number;
  /** Resolves once the child has exited and nothing of its group runs; never rejects. */
  readonly ended: Promise<RunEnd>;
  readonly #ctx: RunContext;
  readonly #startedAt = Date.now();
  #proc: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;
  #beats = 0;
  #missed = 0;
  #hung: HungReason | undefined;
  #stoppedBy: SignalReason | undefined;
  #leaderExited = false;
  #resolve!: (end: RunEnd) => void;

  constructor(spec: ResolvedChild, attempt: number, ctx: RunContext) {
    this.spec = spec;
    this.attempt = attempt;
    this.#ctx = ctx;
    this.ended = new Promise((resolve) => { this.#resolve = resolve; });
    this.#start();
  }

  /** The child's pid (= its process group id); undefined if it could not be started. */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  #start(): void {
    const { spec, attempt } = this;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...spec.env,
      [HEARTBEAT_INTERVAL_ENV]: String(this.#ctx.intervalMs),
      [CHILD_NAME_ENV]: spec.name,
    };
    if (this.#ctx.url !== undefined) env.UNIBUS_URL = this.#ctx.url;
    if (spec.autoHeartbeat) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import="${AUTO_HEARTBEAT}"`.trim();
    const stdout = spec.stdout === 'inherit' ? 'inherit' : spec.stdout === 'stderr' ? 2 : 'ignore';
    // detached: the child leads a new session and process group (pgid = pid), so signals reach
    // its descendants and a terminal's Ctrl-C reaches only the supervisor, which stops children
    // in order. The heartbeat fd is a socketpair end (Node's 'pipe'): the child writes beats, and
    // reads EOF when the supervisor dies. Through a pipe: hub it follows the bus pipes (3, 4).
    const viaHub = this.#ctx.spawn;
    const heartbeatFd = viaHub ? PIPE_HEARTBEAT_FD : HEARTBEAT_FD;
    env[HEARTBEAT_FD_ENV] = String(heartbeatFd);
    let proc: ChildProcess;
    try {
      proc = viaHub
        ? viaHub(spec.command, spec.args, {
          cwd: spec.cwd, env, detached: true, stdio: ['ignore', stdout, 'inherit'], extraStdio: ['pipe'],
        }).child
        : spawn(spec.command, [...spec.args], { cwd: spec.cwd, env, detached: true, stdio: ['ignore', stdout, 'inherit', 'pipe'] });
    } catch (err) {
      // E.g. the hub is closed, or no fds are left for the pipes.
      const error = (err as Error).message;
      queueMicrotask(() => {
        this.#ctx.emit({ type: 'spawn-failed', child: spec.name, error, attempt });
        this.#resolve({ code: null, signal: null, spawnError: error, ranMs: 0 });
      });
      return;
    }
    this.#proc = proc;
    if (proc.pid === undefined) {
      proc.once('error', (err) => {
        this.#ctx.emit({ type: 'spawn-failed', child: spec.name, error: err.message, attempt });
        this.#resolve({ code: null, signal: null, spawnError: err.message, ranMs: 0 });
      });
      return;
    }
    const pid = proc.pid;
    proc.on('error', () => { /* signalling errors are handled where we signal */ });
    const beats = (proc.stdio as unknown[])[heartbeatFd] as Socket;
    beats.on('data', (chunk: Buffer) => { this.#beats += chunk.length; });
    beats.on('error', () => { /* a broken heartbeat socket shows as missed beats */ });
    proc.once('exit', (code, signal) => void this.#onExit(pid, beats, code, signal));
    this.#ctx.emit({ type: 'started', child: spec.name, pid, attempt });
    this.#timer = setInterval(() => void this.#check(pid), this.#ctx.intervalMs);
  }

  async #check(pid: number): Promise<void> {
    if (this.#leaderExited || this.#hung || this.#stoppedBy) return;
    if (this.spec.heartbeat) {
      if (this.#beats > 0) {
        this.#beats = 0;
        this.#missed = 0;
      } else {
        this.#missed += 1;
        const { threshold } = this.#ctx;
        this.#ctx.emit({ type: 'heartbeat-missed', child: this.spec.name, pid, missed: this.#missed, threshold });
        if (this.#missed >= threshold) return this.#onHung(pid, 'missed-heartbeats');
      }
    }
    // libuv waits without WUNTRACED, so a stopped child is only visible in /proc.
    const stat = await procStat(pid);
    if (stat && isStoppedState(stat.state) && !this.#leaderExited && !this.#hung && !this.#stoppedBy) {
      this.#onHung(pid, 'stopped');
    }
  }

  #onHung(pid: number, reason: HungReason): void {
    this.#hung = reason;
    this.#ctx.emit({ type: 'hung', child: this.spec.name, pid, reason });
    this.#signalAndWait(pid, 'hung');
  }

  /**
   * Stops the child: SIGTERM (and SIGCONT, so a stopped child can act on it) to its group, then
   * SIGKILL after its grace. Resolves when it has ended. Idempotent.
   */
  terminate(reason: SignalReason): Promise<RunEnd> {
    const pid = this.pid;
    if (pid !== undefined && !this.#leaderExited && !this.#hung && !this.#stoppedBy) {
      this.#stoppedBy = reason;
      this.#signalAndWait(pid, reason);
    }
    return this.ended;
  }

  #signalAndWait(pid: number, reason: SignalReason): void {
    const name = this.spec.name;
    this.#ctx.emit({ type: 'signalled', child: name, pid, signal: 'SIGTERM', reason });
    signalGroup(pid, 'SIGTERM');
    signalGroup(pid, 'SIGCONT');
    const kill = setTimeout(() => {
      if (this.#leaderExited) return;
      this.#ctx.emit({ type: 'signalled', child: name, pid, signal: 'SIGKILL', reason });
      signalGroup(pid, 'SIGKILL');
    }, this.spec.graceMs);
    void this.ended.then(() => clearTimeout(kill));
  }

  async #onExit(pid: number, beats: Socket, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.#leaderExited = true;
    clearInterval(this.#timer);
    beats.destroy();
    // What the child started lives on in its group; the run ends only when that is gone too.
    await clearGroup(pid, this.#ctx.reap, Math.max(this.spec.graceMs, 1000)).catch(() => 0);
    this.#ctx.emit({ type: 'exited', child: this.spec.name, pid, code, signal });
    this.#resolve({
      code,
      signal,
      ...(this.#hung ? { hung: this.#hung } : {}),
      ...(this.#stoppedBy ? { stoppedBy: this.#stoppedBy } : {}),
      ranMs: Date.now() - this.#startedAt,
    });
  }
}
