/** Helpers for supervisor tests: collect events, wait for one, check that processes are gone. */
import type { Supervisor, SupervisorEvent } from '../../src/process/supervisor/index.js';
import { groupMembers } from '../../src/process/proc-stat.js';
import { within } from '../helpers/watchdog.js';

/** Every event of `sup`, with a way to wait for the first one matching a predicate. */
export class EventLog {
  readonly all: SupervisorEvent[] = [];
  #waiters: Array<{ match: (e: SupervisorEvent) => boolean; resolve: (e: SupervisorEvent) => void }> = [];

  constructor(sup: Supervisor) {
    sup.events.subscribe((e) => {
      this.all.push(e);
      this.#waiters = this.#waiters.filter((w) => (w.match(e) ? (w.resolve(e), false) : true));
    });
  }

  /** Waits (under a watchdog) for the first event, past or future, matching `match`. */
  wait<T extends SupervisorEvent['type']>(
    type: T, match: (e: Extract<SupervisorEvent, { type: T }>) => boolean = () => true, ms = 30_000,
  ): Promise<Extract<SupervisorEvent, { type: T }>> {
    const test = (e: SupervisorEvent): boolean => e.type === type && match(e as Extract<SupervisorEvent, { type: T }>);
    const seen = this.all.find(test);
    if (seen) return Promise.resolve(seen as Extract<SupervisorEvent, { type: T }>);
    return within(ms, `supervisor event ${type} (seen: ${this.summary()})`,
      new Promise((resolve) => this.#waiters.push({ match: test, resolve: resolve as (e: SupervisorEvent) => void })));
  }

  /** Event types for one child (or all), e.g. `started,hung,signalled:SIGTERM,exited`. */
  types(child?: string): string[] {
    return this.all
      .filter((e) => child === undefined || ('child' in e && e.child === child))
      .map((e) => (e.type === 'signalled' ? `signalled:${e.signal}` : e.type));
  }

  summary(): string {
    return this.all.map((e) => ('child' in e ? `${e.child}:${e.type}` : e.type)).join(' ');
  }
}

/** Live (non-zombie) processes in group `pgid`. */
export async function liveInGroup(pgid: number): Promise<number[]> {
  return (await groupMembers(pgid)).filter((m) => m.state !== 'Z' && m.state !== 'X').map((m) => m.pid);
}

