/**
 * `Supervisor`: starts children, watches their heartbeats, restarts them by policy and strategy
 * with exponential backoff, gives up past the restart intensity (as OTP supervisors do), and
 * stops them in reverse start order. Children are started connected to the bus: by default on
 * a `pipe:` hub the supervisor owns. Lifecycle events are an Observable and are published on
 * `$sys.supervisor.<name>.<type>`.
 * @module
 */
import type { Observable } from 'rxjs';
import { Subject } from '../../rx.js';
import { reapZombie, setChildSubreaper } from '../../native/prctl.js';
import { backoffDelay } from '../../sync/backoff.js';
import { ChildRun, type EventInput, type RunContext, type RunEnd } from './child-run.js';
import { resolveOptions, type ResolvedChild, type ResolvedOptions } from './options.js';
import type { Reaper } from './process-group.js';
import type { StopReason, SupervisorBus, SupervisorEvent, SupervisorOptions } from './types.js';
import type { Bus } from '../../bus/bus.js';

/** Where one declared child stands. */
export type ChildState = 'idle' | 'running' | 'waiting' | 'done';

interface Slot {
  readonly spec: ResolvedChild;
  run: ChildRun | undefined;
  state: ChildState;
  attempt: number;
  /** Consecutive failures, for the backoff (reset by a long enough run). */
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Supervises child processes.
 *
 * Guarantees:
 * - each child runs in its own process group; every signal goes to the group;
 * - a child is hung when `threshold` check intervals pass without a beat on its fd, or when
 *   /proc shows it stopped; it then gets SIGTERM (and SIGCONT), SIGKILL after its grace;
 * - an `exited` event comes only once nothing of the child's group runs any more;
 * - more than `intensity.maxRestarts` restarts within `intensity.periodMs` end in `gave-up`,
 *   then every child is stopped and the supervisor ends with `stopped`;
 * - `stop()` stops children in reverse start order, one at a time; the event stream then
 *   completes. Subscribe to `events` before `start()` to see every event.
 * - children exit when the supervisor dies, however it dies: they see EOF on their heartbeat fd.
 * - by default the supervisor serves a `pipe:` hub ({@link Supervisor.hub}) and starts every
 *   child through it: fds 3/4 are the child's bus pipes (`UNIBUS_URL=pipe:`), fd 5 its heartbeat
 *   (`UNIBUS_HEARTBEAT_FD=5`); a restart gets fresh pipes. The hub closes after the last child.
 *   With `url` set to another URL, children get `UNIBUS_URL` and the heartbeat on fd 3.
 *
 * @example
 * ```ts
 * const sup = new Supervisor({
 *   children: [{ name: 'worker', command: 'node', args: ['worker.js'] }],
 *   heartbeat: { intervalMs: 1000, threshold: 3 },
 *   intensity: { maxRestarts: 5, periodMs: 10_000 },
 * });
 * sup.events.subscribe((e) => console.log(JSON.stringify(e)));
 * sup.start();
 * await sup.ready; // its pipe: hub is open: hear what the workers publish
 * sup.hub?.subscribe('work.>').subscribe((m) => console.log(m.topic, m.data));
 * process.once('SIGINT', () => void sup.stop());
 * await sup.done;
 * ```
 */
export class Supervisor implements AsyncDisposable {
  /** Lifecycle events (hot); completes after `stopped`. */
  readonly events: Observable<SupervisorEvent>;
  /** Resolves with the reason once the supervisor has stopped and every child is gone. */
  readonly done: Promise<StopReason>;
  /** Events the bus refused to publish (they still went to `events`). */
  publishFailures = 0;
  readonly #options: ResolvedOptions;
  readonly #subject = new Subject<SupervisorEvent>();
  readonly #slots: Slot[];
  readonly #restarts: number[] = [];
  #reap: Reaper;
  #started = false;
  #stopping: Promise<StopReason> | undefined;
  #groupRestart = false;
  #resolveDone!: (reason: StopReason) => void;
  #ready: Promise<void> | undefined;
  /** Where events are published: `options.bus`, else the own hub once open. */
  #publisher: SupervisorBus | undefined;
  /** The `pipe:` hub this supervisor owns and closes. */
  #hub: Bus | undefined;
  /** What children are started with: a `pipe:` bus's spawn and the URL they get. */
  #spawn: RunContext['spawn'];
  #childUrl: string | undefined;

  constructor(options: SupervisorOptions) {
    this.#options = resolveOptions(options);
    this.#slots = this.#options.children.map((spec) => ({
      spec, run: undefined, state: 'idle', attempt: 0, failures: 0, timer: undefined,
    }));
    this.events = this.#subject.asObservable();
    this.done = new Promise((resolve) => { this.#resolveDone = resolve; });
    this.#publisher = this.#options.bus;
  }

  /**
   * The `pipe:` hub this supervisor serves (the default), once `ready`: subscribe to hear what the
   * children publish. Undefined with `bus` or another `url` in the options, and after `done`.
   */
  get hub(): Bus | undefined {
    return this.#hub;
  }

  /** Resolves once the bus is open and every child has been launched; read it after `start()`. */
  get ready(): Promise<void> {
    if (!this.#ready) throw new Error('Supervisor not started: call start() first');
    return this.#ready;
  }

  /** The supervisor's name (in events and topics). */
  get name(): string {
    return this.#options.name;
  }

  /** A snapshot of every declared child: state and current pid. */
  children(): Array<{ name: string; state: ChildState; pid: number | undefined; attempt: number }> {
    return this.#slots.map((s) => ({ name: s.spec.name, state: s.state, pid: s.run?.pid, attempt: s.attempt }));
  }

  /** Starts every child in declaration order. Call once. */
  start(): this {
    if (this.#started) throw new Error('Supervisor already started');
    this.#started = true;
    if (this.#options.subreaper) {
      try {
        setChildSubreaper(true);
        this.#reap = reapZombie;
      } catch (err) {
        this.#emit({ type: 'warning', message: `not a child subreaper, descendants of a dead child may escape: ${(err as Error).message}` });
      }
    }
    this.#ready = this.#openBus().then(() => {
      if (this.#slots.length === 0) void this.stop('all-exited');
      for (const slot of this.#slots) this.#launch(slot);
    });
    return this;
  }

  /** Decides how children reach the bus; opens the own `pipe:` hub when that is the plan. */
  async #openBus(): Promise<void> {
    const { plan } = this.#options;
    if (plan.kind === 'url') this.#childUrl = plan.url;
    if (plan.kind === 'given-pipe') {
      const bus = this.#options.bus!;
      this.#spawn = (command, args, options) => bus.spawn!(command, args, options);
      this.#childUrl = plan.url;
    }
    if (plan.kind !== 'own-pipe') return;
    try {
      // Loaded here, not at the top: the supervisor without a bus stays a process-only module.
      const { Bus: BusClass } = await import('../../bus/bus.js');
      const hub = await BusClass.listen(plan.url, { name: `supervisor-${this.#options.name}` });
      this.#hub = hub;
      this.#publisher ??= hub;
      this.#spawn = (command, args, options) => hub.spawn(command, args, options);
      this.#childUrl = hub.url;
    } catch (err) {
      this.#emit({ type: 'warning', message: `could not serve ${plan.url}, children start without a bus: ${(err as Error).message}` });
    }
  }

  /** Stops every child in reverse start order; resolves when all are gone. Idempotent. */
  stop(reason: StopReason = 'shutdown'): Promise<StopReason> {
    this.#stopping ??= this.#shutdown(reason);
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #emit(event: EventInput): void {
    const full = { ...event, supervisor: this.#options.name, at: Date.now() } as SupervisorEvent;
    this.#subject.next(full);
    const bus = this.#publisher;
    if (!bus) return;
    try {
      const published = bus.publish(`$sys.supervisor.${this.#options.name}.${full.type}`, full);
      if (published instanceof Promise) published.catch(() => { this.publishFailures += 1; });
    } catch {
      this.publishFailures += 1;
    }
  }

  #launch(slot: Slot): void {
    if (this.#stopping) return;
    slot.attempt += 1;
    slot.state = 'running';
    const run = new ChildRun(slot.spec, slot.attempt, {
      intervalMs: this.#options.intervalMs,
      threshold: this.#options.threshold,
      url: this.#childUrl,
      spawn: this.#spawn,
      reap: this.#reap,
      emit: (e) => this.#emit(e),
    });
    slot.run = run;
    void run.ended.then((end) => this.#onEnd(slot, run, end));
  }

  #onEnd(slot: Slot, run: ChildRun, end: RunEnd): void {
    if (slot.run !== run) return;
    slot.run = undefined;
    slot.state = 'idle';
    // During shutdown or a one-for-all restart, whoever stopped the child decides what follows.
    if (this.#stopping || this.#groupRestart || end.stoppedBy) return;
    const abnormal = end.spawnError !== undefined || end.hung !== undefined || end.signal !== null || end.code !== 0;
    const { restart } = slot.spec;
    if (restart === 'temporary' || (restart === 'transient' && !abnormal)) {
      this.#retire(slot);
      return;
    }
    // Restart intensity: more than maxRestarts within periodMs and the supervisor gives up.
    const now = Date.now();
    const { maxRestarts, periodMs } = this.#options.intensity;
    this.#restarts.push(now);
    while (this.#restarts.length && this.#restarts[0]! <= now - periodMs) this.#restarts.shift();
    if (this.#restarts.length > maxRestarts) {
      this.#emit({ type: 'gave-up', child: slot.spec.name, restarts: this.#restarts.length, periodMs });
      void this.stop('gave-up');
      return;
    }
    const { initialMs, maxMs, resetAfterMs } = this.#options.backoff;
    if (end.ranMs >= resetAfterMs) slot.failures = 0;
    slot.failures += 1;
    const delayMs = backoffDelay(slot.failures - 1, { initial: initialMs, max: maxMs });
    if (this.#options.strategy === 'one-for-all') void this.#restartAll(slot, delayMs);
    else this.#schedule([slot], delayMs);
  }

  #retire(slot: Slot): void {
    slot.state = 'done';
    this.#emit({ type: 'done', child: slot.spec.name });
    if (this.#slots.every((s) => s.state === 'done')) void this.stop('all-exited');
  }

  /** one-for-all: stop the others in reverse start order, then start everyone in order. */
  async #restartAll(failed: Slot, delayMs: number): Promise<void> {
    this.#groupRestart = true;
    for (const slot of [...this.#slots].reverse()) {
      if (slot.run) await slot.run.terminate('strategy');
      if (slot.timer) clearTimeout(slot.timer);
    }
    this.#groupRestart = false;
    if (this.#stopping) return;
    const again = this.#slots.filter((s) => s === failed || (s.state !== 'done' && s.spec.restart !== 'temporary'));
    for (const s of this.#slots) if (!again.includes(s) && s.state !== 'done') this.#retire(s);
    this.#schedule(again, delayMs);
  }

  #schedule(slots: Slot[], delayMs: number): void {
    for (const slot of slots) {
      slot.state = 'waiting';
      this.#emit({ type: 'restarting', child: slot.spec.name, attempt: slot.attempt + 1, delayMs });
    }
    const timer = setTimeout(() => { for (const slot of slots) { slot.timer = undefined; this.#launch(slot); } }, delayMs);
    for (const slot of slots) slot.timer = timer;
  }

  async #shutdown(reason: StopReason): Promise<StopReason> {
    // Children launched while the hub was opening are stopped like the others.
    await this.#ready?.catch(() => undefined);
    this.#emit({ type: 'stopping', reason });
    for (const slot of this.#slots) if (slot.timer) clearTimeout(slot.timer);
    for (const slot of [...this.#slots].reverse()) {
      if (slot.run) await slot.run.terminate('shutdown');
      if (slot.state !== 'done') slot.state = 'idle';
    }
    this.#emit({ type: 'stopped', reason });
    this.#subject.complete();
    const hub = this.#hub;
    this.#hub = undefined;
    this.#spawn = undefined;
    if (hub) {
      // The hub's own subscribers get the last events (`stopped`) before it closes.
      await hub.flush({ timeout: 2000 }).catch(() => undefined);
      await hub.close().catch(() => undefined);
    }
    this.#resolveDone(reason);
    return reason;
  }
}
