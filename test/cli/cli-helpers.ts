/** Runs the real `unibus` CLI (bin/unibus.js) as child processes. */
import { fileURLToPath } from 'node:url';
import { spawnNode, type Child } from '../helpers/processes.js';

/** Path of bin/unibus.js from dist/test/cli/. */
export const cliPath = fileURLToPath(new URL('../../../bin/unibus.js', import.meta.url));

export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return spawnNode(cliPath, args, env);
}

/** Waits until a child's stderr contains `text`. */
export async function stderrHas(child: Child, text: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!child.stderr.includes(text)) {
    if (Date.now() > deadline) throw new Error(`watchdog: "${text}" not on stderr of ${child.pid} within ${ms}ms: ${child.stderr}`);
    if (child.proc.exitCode !== null) throw new Error(`child ${child.pid} exited ${child.proc.exitCode}: ${child.stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
