/**
 * One measurement: starts `side.js parent <spec>` in its own process group, reads its `RESULT`
 * line, and kills the whole group (parent, clients, children they started) if it takes longer
 * than the watchdog allows; it then counts as failed.
 * @module
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CaseSpec } from './link.js';
import type { SideResult } from './side.js';

/** A measurement that takes longer than this is killed and counted as failed. */
export const WATCHDOG_MS = 90_000;

const SIDE = fileURLToPath(new URL('./side.js', import.meta.url));

/** Runs one measurement: starts the parent side in its own process group, reads its RESULT. */
export function measure(spec: CaseSpec): Promise<{ result?: SideResult; error?: string }> {
  return new Promise((resolve) => {
    // BENCH_NODE_ARGS: extra Node flags for every side (e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile).
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    const proc = spawn(process.execPath, [...nodeArgs, SIDE, 'parent', JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group: the watchdog can end the parent and its children together
    });
    let result: SideResult | undefined;
    let stderr = '';
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7)) as SideResult;
      else if (line.trim()) process.stderr.write(`  [${spec.name}] ${line}\n`);
    });
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      stderr += `\nkilled by the bench watchdog after ${WATCHDOG_MS} ms`;
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, WATCHDOG_MS);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      // A result counts even if closing afterwards was slow; say why otherwise.
      if (stderr.trim()) process.stderr.write(indent(spec.name, stderr));
      // Clients the parent started stay in its group: end any that outlived it.
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* none left */ }
      if (result) resolve({ result });
      else resolve({ error: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
    });
  });
}

function indent(name: string, text: string): string {
  return text.trim().split('\n').map((l) => `  [${name}] ${l}\n`).join('');
}
