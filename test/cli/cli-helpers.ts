/** Runs the real `unibus` CLI (bin/unibus.js) as child processes. */
import { fileURLToPath } from 'node:url';
import { spawnNode, type Child, type ChildSet } from '../helpers/processes.js';
import { watchdogScale } from '../helpers/watchdog.js';

/** Path of bin/unibus.js from dist/test/cli/. */
export const cliPath = fileURLToPath(new URL('../../../bin/unibus.js', import.meta.url));

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return spawnNode(cliPath, args, env);
}

/** Starts `unibus hub URL` as a child of `children` and resolves once it says it listens. */
export async function startCliHub(children: ChildSet, url: string): Promise<Child> {
  const child = children.add(cli(['hub', url]));
  await child.waitLine(/^listening /);
  return child;
}

/** Waits until a child's stderr contains `text`. */
export async function stderrHas(child: Child, text: string, ms = 15_000): Promise<void> {
  const limit = Math.round(ms * watchdogScale());
  const deadline = Date.now() + limit;
  while (!child.stderr.includes(text)) {
    if (Date.now() > deadline) throw new Error(`watchdog: "${text}" not on stderr of ${child.pid} within ${limit}ms: ${child.stderr}`);
    if (child.proc.exitCode !== null) throw new Error(`child ${child.pid} exited ${child.proc.exitCode}: ${child.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
