/** Shared bits of the link modules: starting the other side, holding early messages. */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { ChildCommand } from '../link.js';

/** Starts the other side as a child process; its stdout and stderr go to ours (stderr). */
export function spawnSide(child: ChildCommand, options: { stdio?: StdioOptions; serialization?: 'json' | 'advanced' } = {}): {
  proc: ChildProcess;
  exited: Promise<number | string>;
} {
  const proc = spawn(child.command, [...child.args], {
    stdio: options.stdio ?? ['ignore', 2, 2],
    ...(options.serialization ? { serialization: options.serialization } : {}),
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
    proc.once('error', (err) => resolve(err.message));
  });
  return { proc, exited };
}

/** Delivers to a handler set later: values that arrive before it are held, then replayed. */
export class Inbox {
  #handler: ((value: unknown) => void) | undefined;
  #held: unknown[] = [];

  deliver(value: unknown): void {
    if (this.#handler) this.#handler(value);
    else this.#held.push(value);
  }

  set(handler: (value: unknown) => void): void {
    this.#handler = handler;
    const held = this.#held;
    this.#held = [];
    for (const value of held) handler(value);
  }
}
