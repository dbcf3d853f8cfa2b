/**
 * Runs a compiled conformance test file under another runtime (Deno or Bun, installed from npm as
 * dev dependencies) as a child process, and fails with the child's output unless it passes. The
 * child's UNIBUS_TEST_RUN prefix extends this run's, so the runner's leftover check covers it.
 * The child leads its own process group, killed whole when it ends (a peer it left stopped or
 * running goes too); after a failed run, the files it left in /tmp and /dev/shm (by its own
 * prefix, so never another file's) are removed and listed in the failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runId } from '../helpers/run-id.js';

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
  const prefix = `${runId}${runtime}${(++runs).toString(36)}`;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args(file), ...fileArgs], {
      env: { ...process.env, ...env, UNIBUS_TEST_RUN: prefix, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const dog = setTimeout(() => killGroup(child.pid), timeoutMs);
    // Its peers go with it at once: one left holding a pipe would delay 'close' for ever.
    child.on('exit', () => killGroup(child.pid));
    child.on('close', (code, signal) => {
      clearTimeout(dog);
      killGroup(child.pid);
      // Quoted with a prefix, so the runner never reads the child's uvu totals as ours.
      const quoted = out.split('\n').map((l) => `  ${runtime}| ${l}`).join('\n');
      if (code === 0) {
        resolve(out);
        return;
      }
      const removed = removeLeftovers(prefix);
      reject(new Error(`${runtime} ${file} exited ${code ?? signal}${signal === 'SIGKILL' ? ` (watchdog: ${timeoutMs} ms)` : ''}:\n${quoted}`
        + (removed.length ? `\nleft behind, now removed: ${removed.join(' ')}` : '')));
    });
  });
}

let runs = 0;

function killGroup(pid: number | undefined): void {
  try { if (pid) process.kill(-pid, 'SIGKILL'); } catch { /* the group is gone */ }
}

/** Removes the /tmp and /dev/shm entries whose names carry `prefix`; returns their paths. */
function removeLeftovers(prefix: string): string[] {
  const removed: string[] = [];
  for (const dir of ['/tmp', '/dev/shm']) {
    for (const name of readdirSync(dir).filter((n) => n.includes(prefix))) {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    }
  }
  return removed;
}
