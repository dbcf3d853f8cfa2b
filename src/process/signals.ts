/**
 * Received signals as an RxJS Observable.
 *
 * Node delivers signals through libuv, which turns them into events on the loop. What that means
 * (measured on Node 20; docs/signals.md has the numbers):
 * - Standard signals **coalesce**: a burst of N signals may be seen as far fewer events. Count
 *   nothing with signals; use them as "something happened, look".
 * - `sigqueue()` payloads never reach a handler: a signal carries no data.
 * - `SIGUSR1` starts Node's inspector: it is refused here. Use `SIGUSR2` or a bus message.
 * - Real-time signals (`SIGRTMIN`…) cannot be listened to and kill a Node process.
 * - `SIGKILL` and `SIGSTOP` cannot be caught (refused here).
 * So liveness never travels by signal: supervised children heartbeat with bytes on an fd.
 *
 * Listening replaces the default action: while a subscription to `SIGINT` or `SIGTERM` lives,
 * the process no longer dies of it. Unsubscribing restores the default.
 *
 * @example
 * ```ts
 * import { signals } from 'unibus';
 * const sub = signals('SIGHUP', 'SIGUSR2').subscribe(({ signal }) => reload(signal));
 * // later: sub.unsubscribe();   // SIGHUP kills the process again
 * ```
 * @module
 */
import { Observable } from '../rx.js';

/** Signals a Node process can listen to and that unibus lets you observe. */
export type ObservableSignal =
  | 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'SIGQUIT' | 'SIGUSR2' | 'SIGCONT' | 'SIGTSTP'
  | 'SIGWINCH' | 'SIGCHLD' | 'SIGPIPE' | 'SIGALRM' | 'SIGTTIN' | 'SIGTTOU' | 'SIGBREAK';

/** One received signal. */
export interface ReceivedSignal {
  readonly signal: ObservableSignal;
  /** `Date.now()` when the event loop saw it (after any coalescing). */
  readonly at: number;
}

const ALLOWED: ReadonlySet<string> = new Set<ObservableSignal>([
  'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGCONT', 'SIGTSTP',
  'SIGWINCH', 'SIGCHLD', 'SIGPIPE', 'SIGALRM', 'SIGTTIN', 'SIGTTOU', 'SIGBREAK',
]);

const WHY_NOT: Readonly<Record<string, string>> = {
  SIGUSR1: 'SIGUSR1 starts the Node inspector; use SIGUSR2 or a bus message',
  SIGKILL: 'SIGKILL cannot be caught',
  SIGSTOP: 'SIGSTOP cannot be caught',
};

/** Throws `RangeError` unless `name` is a signal this module can observe. */
export function assertObservableSignal(name: string): asserts name is ObservableSignal {
  if (ALLOWED.has(name)) return;
  const why = WHY_NOT[name]
    ?? (/^SIGRT/.test(name) ? 'real-time signals cannot be listened to in Node and kill the process' : 'unknown or not catchable');
  throw new RangeError(`Cannot observe signal: ${why}: signal=${name}`);
}

/**
 * An Observable of the given signals (default `SIGINT`, `SIGTERM`). Cold: each subscriber adds
 * its own process listener and removes it on unsubscribe. Never completes by itself.
 */
export function signals(...names: ObservableSignal[]): Observable<ReceivedSignal> {
  const list: ObservableSignal[] = names.length ? names : ['SIGINT', 'SIGTERM'];
  for (const name of list) assertObservableSignal(name);
  return new Observable<ReceivedSignal>((subscriber) => {
    const handlers = list.map((signal) => {
      const handler = (): void => subscriber.next({ signal, at: Date.now() });
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    return () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
  });
}
