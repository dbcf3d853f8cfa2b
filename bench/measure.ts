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
import { benchStopping, onBenchSignal } from './signals.js';
import { sweepMeasurement } from './sweep.js';

/** A measurement that takes longer than this is killed and counted as failed. */
export const WATCHDOG_MS = 90_000;

const SIDE = fileURLToPath(new URL('./side.js', import.meta.url));

/**
 * Runs one measurement: starts the parent side in its own process group, reads its RESULT.
 * The caller sweeps the measurement's names afterwards (./sweep.ts).
 */
export function measure(spec: CaseSpec): Promise<{ result?: SideResult; error?: string }> {
  if (benchStopping()) return Promise.resolve({ error: 'the bench is stopping' });
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
    // A signal ending the bench ends this measurement too, and sweeps what its hub made.
    const unwatch = onBenchSignal(async () => {
      await endGroup(proc.pid!);
      await sweepMeasurement(spec.id);
    });
    const timer = setTimeout(() => {
      stderr += `\nkilled by the bench watchdog after ${WATCHDOG_MS} ms`;
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }, WATCHDOG_MS);
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      unwatch();
      // A result counts even if closing afterwards was slow; say why otherwise.
      if (stderr.trim()) process.stderr.write(indent(spec.name, stderr));
      // Clients the parent started stay in its group: end any that outlived it, and wait until
      // they are gone (a sweep while one still lives keeps the queues it reads).
      void endGroup(proc.pid!).then(() => {
        if (result) resolve({ result });
        else resolve({ error: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` });
      });
    });
  });
}

/** SIGKILLs process group `pgid` and resolves once none of it is left (at most ~3 s). */
async function endGroup(pgid: number): Promise<void> {
  try { process.kill(-pgid, 'SIGKILL'); } catch { return; /* none left */ }
  // kill() is done when the signal is sent, not when the processes are gone; the group's
  // leader is our child, reaped by libuv only while the event loop turns.
  for (let i = 0; i < 300; i++) {
    try { process.kill(-pgid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 10));
  }
}

function indent(name: string, text: string): string {
  return text.trim().split('\n').map((l) => `  [${name}] ${l}\n`).join('');
}
