/**
 * The transport floor: how many frames per second each transport's Connection moves between
 * two processes with no Bus and no encoding at all: frames written in place
 * (`reserveFrame`/`commitFrame`, or `write()` where a backend declines), consumed in push mode
 * by a handler that only counts. It is the ceiling of any Bus case on that transport, and shows
 * how much of a Bus ratio between two transports the transports themselves can explain.
 *
 *   npm run bench:floor                    # unix and shm, 64-byte frames, 3 runs
 *   npm run bench:floor -- fifo,sysvmq 4096
 *
 * One process per run is the reader (this one listens); a forked child writes N frames.
 * Figures: frames/s (median of runs) and CPU µs per frame of each side.
 * @module
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { URLS } from './cases.js';
import { bytesRate, median, si } from './report.js';
import { transportFor } from '../src/transports/registry.js';
import { canWriteInPlace } from '../src/transports/capabilities.js';

const RUNS = 3;
const SECONDS = 1.5;
/** A run that takes longer is killed (its writer too) and the floor fails, as `run.ts` does. */
const WATCHDOG_MS = 60_000;
/** Payload bytes of the probe run at most (and of a measured run's minimum). */
const PROBE_BYTES = 512 * 1024 * 1024;

interface Run { rate: number; readerCpu: number; writerCpu: number }

async function writer(url: string, size: number, count: number): Promise<void> {
  const conn = await (await transportFor(url)).connect(url);
  const frame = randomBytes(size);
  const c0 = process.cpuUsage();
  const inPlace = canWriteInPlace(conn) ? conn : undefined;
  for (let i = 0; i < count; i++) {
    const at = inPlace ? inPlace.reserveFrame(size) : -1;
    let room: boolean;
    if (at < 0) room = conn.write(frame);
    else {
      inPlace!.reservedBuffer.set(frame, at);
      room = inPlace!.commitFrame();
    }
    if (!room) await conn.drained();
  }
  const c = process.cpuUsage(c0);
  process.send!({ cpu: (c.user + c.system) / count });
  await conn.close();
}

async function reader(url: string, size: number, count: number): Promise<Run> {
  const listener = await (await transportFor(url)).listen(url);
  const child = fork(fileURLToPath(import.meta.url), ['writer', url, String(size), String(count)]);
  let writerCpu = NaN;
  child.on('message', (m: { cpu: number }) => { writerCpu = m.cpu; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const watchdog = setTimeout(() => {
    child.kill('SIGKILL');
    process.stderr.write(`floor: ${url} did not finish within ${WATCHDOG_MS} ms\n`);
    // The listener's socket, FIFOs or queues go with it: closed before leaving, at most 5 s.
    setTimeout(() => process.exit(1), 5000).unref();
    void listener.close().finally(() => process.exit(1));
  }, WATCHDOG_MS);
  const conn = (await listener[Symbol.asyncIterator]().next()).value!;
  let n = 0;
  let t0 = 0n;
  let c0 = process.cpuUsage();
  await new Promise<void>((resolve) => conn.consume(() => {
    // Timed from the first frame: connection set-up is not a transport's per-frame cost.
    if (n === 0) { t0 = process.hrtime.bigint(); c0 = process.cpuUsage(); }
    if (++n === count) resolve();
  }));
  clearTimeout(watchdog);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  await exited;
  await listener.close();
  return { rate: count / seconds, readerCpu: (c.user + c.system) / count, writerCpu };
}

/** `frames`, or fewer for large frames: at most PROBE_BYTES of payload in all (at least 100 frames). */
function framesOf(size: number, frames: number): number {
  return Math.max(100, Math.min(frames, Math.floor(PROBE_BYTES / Math.max(1, size))));
}

async function main(): Promise<void> {
  const [, , role, ...rest] = process.argv;
  if (role === 'writer') return writer(rest[0]!, Number(rest[1]), Number(rest[2]));
  const schemes = (role ?? 'unix,shm').split(',');
  const size = Number(rest[0] ?? 64);
  process.stdout.write(`transport floor: ${size}-byte frames, ${RUNS} runs, medians; Node ${process.version}\n`);
  const medians: Array<[string, Run]> = [];
  for (const scheme of schemes) {
    const url = URLS[scheme]?.(`floor-${process.pid}`);
    const caps = url === undefined ? undefined : (await transportFor(url)).capabilities;
    if (!caps?.crossProcess || caps.spawnsClients) throw new Error(`no floor for scheme=${scheme} (two processes, the second dialling a URL, are needed)`);
    // A first short run sizes the measured ones to about SECONDS each. Both are bounded in
    // bytes too: 200 000 frames of 1 MiB were 200 GB, past the watchdog on any machine.
    const probe = await reader(URLS[scheme]!(`floor-${process.pid}-probe`), size, framesOf(size, 200_000));
    const count = Math.max(framesOf(size, 100_000), Math.round(probe.rate * SECONDS));
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await reader(URLS[scheme]!(`floor-${process.pid}-${i}`), size, count));
    const mid = (f: (r: Run) => number): number => median(runs.map(f));
    medians.push([scheme, { rate: mid((r) => r.rate), readerCpu: mid((r) => r.readerCpu), writerCpu: mid((r) => r.writerCpu) }]);
  }
  const first = medians[0]![1].rate;
  for (const [scheme, r] of medians) {
    process.stdout.write(`${scheme.padEnd(8)} ${si(r.rate).padStart(6)} frames/s ${bytesRate(r.rate * size).padStart(11)}  `
      + `x${(r.rate / first).toFixed(2)} ${medians[0]![0]}  reader ${r.readerCpu.toFixed(3)} µs  writer ${r.writerCpu.toFixed(3)} µs per frame\n`);
  }
}

await main();
