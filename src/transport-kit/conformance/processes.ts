/**
 * Real child processes for the conformance suites (and a fixture's `spawnClient`): spawn, read
 * lines, wait for readiness and exit.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { within } from './watchdog.js';
import { signalChild } from '../../process/signal-child.js';

/** Absolute path of the compiled script `dist/<relative>` from a test's `import.meta.url`. */
export function script(fromUrl: string, relative: string): string {
  return fileURLToPath(new URL(relative, fromUrl));
}

/** A child whose stdout lines are collected and awaitable. */
export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: Array<{ re: RegExp; resolve: (line: string) => void }> = [];

  constructor(proc: ChildProcess) {
    this.proc = proc;
    // 'exit' can come before the last stdout lines are read: wait for stdout to end too, but
    // only briefly (a grandchild may hold the pipe open long after).
    const stdoutEnded = proc.stdout ? new Promise<void>((r) => proc.stdout!.once('close', () => r())) : Promise.resolve();
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => {
      const timer = setTimeout(() => resolve({ code, signal }), 2000);
      void stdoutEnded.then(() => { clearTimeout(timer); setImmediate(() => resolve({ code, signal })); });
    }));
    if (proc.stdout) {
      createInterface({ input: proc.stdout }).on('line', (line) => {
        this.lines.push(line);
        this.#waiters = this.#waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
      });
    }
    proc.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves with the first stdout line (past or future) matching `re`. */
  waitLine(re: RegExp, ms = 15_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return within(ms, `child ${this.pid} printing ${re} (stderr: ${this.stderr.slice(-500)})`,
      new Promise<string>((resolve) => this.#waiters.push({ re, resolve })));
  }

  /** Waits for exit under a watchdog; kills the child with SIGKILL if the watchdog fires. */
  async waitExit(ms = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await within(ms, `child ${this.pid} exiting (stderr: ${this.stderr.slice(-500)})`, this.exited);
    } catch (err) {
      signalChild(this.proc, 'SIGKILL');
      throw err;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    signalChild(this.proc, signal); // not proc.kill(): on Deno only the first signal is sent
  }
}

/**
 * Starts `node [...nodeArgs] <file> ...args` with extra env; stdout is read line by line.
 * `nodeArgs` is for flags such as `['--import', registerModule]`, which a third-party transport
 * uses so that every child process knows its scheme.
 *
 * @example
 * ```ts
 * const child = spawnNode('/path/peer.js', ['echo'], { UNIBUS_URL: url }, ['--import', register]);
 * await child.waitLine(/^ready$/);
 * ```
 */
export function spawnNode(file: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): Child {
  const proc = spawn(...jsCommand(file, args, nodeArgs), {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Child(proc);
}

/** Children started in a test, killed at the end whatever happened. */
export class ChildSet {
  readonly #children: Child[] = [];
  add(child: Child): Child {
    this.#children.push(child);
    return child;
  }
  async killAll(): Promise<void> {
    for (const c of this.#children) c.kill('SIGKILL');
    await Promise.all(this.#children.map((c) => c.exited));
    this.#children.length = 0;
  }
}

/**
 * `[command, args]` that runs the script `file` in this process's runtime, so a suite run under
 * Deno or Bun starts its peers there too (Deno needs `run -A` before the script); `nodeArgs` go
 * before the script.
 */
export function jsCommand(file: string, args: readonly string[] = [], nodeArgs: readonly string[] = []): [string, string[]] {
  const runtimeArgs = 'Deno' in globalThis ? ['run', '-A'] : [];
  return [process.execPath, [...runtimeArgs, ...nodeArgs, file, ...args]];
}

/** The `node` flags that load `fixture.preload` (none for built-in transports). */
export function preloadArgs(fixture: { readonly preload?: string }): string[] {
  return fixture.preload ? ['--import', fixture.preload] : [];
}
