/**
 * Runs fuzz targets in worker threads and turns "no case finished for `stallMs`" into a hang
 * (the worker is terminated: that stops even a synchronous endless loop). One worker at a time:
 * the machine is small and the targets are CPU-bound.
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { FuzzReport } from './harness.js';

export interface RunOptions {
  cases: number;
  seed: number;
  /** A case that runs longer than this is a hang (generous: the machine may be loaded). */
  stallMs?: number;
}

export function runTarget(name: string, o: RunOptions): Promise<FuzzReport> {
  const progress = new SharedArrayBuffer(4);
  const counter = new Int32Array(progress);
  const worker = new Worker(new URL('./worker.js', import.meta.url), {
    workerData: { name, cases: o.cases, seed: o.seed, progress },
  });
  const stallMs = o.stallMs ?? 20_000;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let last = -1;
    let lastChange = Date.now();
    const dog = setInterval(() => {
      const now = Atomics.load(counter, 0);
      if (now !== last) { last = now; lastChange = Date.now(); return; }
      if (Date.now() - lastChange < stallMs) return;
      clearInterval(dog);
      void worker.terminate();
      resolve({
        target: name, seed: o.seed, cases: now, handled: 0, rejections: 0, crashes: 0, hangs: 1, rejectedAs: {},
        failure: `case #${now + 1} (seed=${o.seed}) made no progress for ${stallMs}ms`, ms: Date.now() - started,
      });
    }, 250);
    worker.once('message', (r: FuzzReport) => { clearInterval(dog); void worker.terminate(); resolve(r); });
    worker.once('error', (err) => { clearInterval(dog); reject(err); });
    worker.once('exit', (code) => { clearInterval(dog); if (code !== 0 && code !== 1) reject(new Error(`fuzz worker for ${name} exited with code ${code}`)); });
  });
}

/** One line per report, for humans. */
export function formatReport(r: FuzzReport): string {
  const as = Object.entries(r.rejectedAs).map(([k, v]) => `${k}:${v}`).join(' ');
  return `${r.target.padEnd(26)} cases=${String(r.cases).padStart(7)} handled=${String(r.handled).padStart(7)} `
    + `typed-rejections=${String(r.rejections).padStart(7)} crashes=${r.crashes} hangs=${r.hangs} ${(r.ms / 1000).toFixed(1)}s  ${as}`;
}
