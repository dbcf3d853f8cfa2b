/**
 * Runs a compiled conformance test file under another runtime (Deno or Bun, installed from npm as
 * dev dependencies) as a child process, and fails with the child's output unless it passes. The
 * child keeps this run's UNIBUS_TEST_RUN prefix, so the runner's leftover check covers it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The runtimes besides Node and how each runs a file. */
export const runtimes = {
  deno: { bin: `${root}node_modules/.bin/deno`, args: (file: string) => ['run', '-A', file] },
  bun: { bin: `${root}node_modules/.bin/bun`, args: (file: string) => [file] },
} as const;

export type RuntimeName = keyof typeof runtimes;

/** Path of a compiled file under test/, from its name without extension (e.g. `conformance/bus-unix.test`). */
export function compiled(name: string): string {
  return `${root}dist/test/${name}.js`;
}

/** Runs `file` under `runtime`; resolves with its output, rejects (with that output) unless it exits 0. */
export interface RunOptions {
  timeoutMs: number;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

export function runUnder(runtime: RuntimeName, file: string, { timeoutMs, args: fileArgs = [], env = {} }: RunOptions): Promise<string> {
  const { bin, args } = runtimes[runtime];
  if (!existsSync(bin)) throw new Error(`${runtime} is not installed at ${bin}: run npm ci (it is a dev dependency)`);
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args(file), ...fileArgs], {
      env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const dog = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(dog);
      // Quoted with a prefix, so the runner never reads the child's uvu totals as ours.
      const quoted = out.split('\n').map((l) => `  ${runtime}| ${l}`).join('\n');
      if (code === 0) resolve(out);
      else reject(new Error(`${runtime} ${file} exited ${code ?? signal}${signal === 'SIGKILL' ? ` (watchdog: ${timeoutMs} ms)` : ''}:\n${quoted}`));
    });
  });
}
