/** Worker entry: runs one fuzz target (by name) and posts its report. See supervisor.ts. */
import { parentPort, workerData } from 'node:worker_threads';
import { fuzz } from './harness.js';
import { targetNamed } from './targets/index.js';

const { name, cases, seed, progress } = workerData as { name: string; cases: number; seed: number; progress: SharedArrayBuffer };
const report = fuzz(await targetNamed(name), cases, seed, new Int32Array(progress));
parentPort!.postMessage(report);
