#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) in its own child process under an
// external watchdog that kills the whole process group, two files at a time (2-core machines).
// Each run has a prefix (UNIBUS_TEST_RUN) that tests put in every kernel object and path they
// make; anything with that prefix left afterwards fails the run, and so does any new System V
// object or /dev/shm entry.
// Usage: node test/run.mjs [filter ...]   (env: TEST_JOBS, TEST_TIMEOUT_S, TEST_VERBOSE=1)
import { spawn, execFileSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';

const root = new URL('..', import.meta.url).pathname;
const distTest = join(root, 'dist', 'test');
const filters = process.argv.slice(2);
const jobs = Number(process.env.TEST_JOBS ?? 2);
const timeoutS = Number(process.env.TEST_TIMEOUT_S ?? 240);
const verbose = process.env.TEST_VERBOSE === '1';
const runId = process.env.UNIBUS_TEST_RUN ?? `ut${randomBytes(3).toString('hex')}`;

function find(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return find(p);
    return name.endsWith('.test.js') ? [p] : [];
  }).sort();
}

function ipcSnapshot() {
  try {
    return execFileSync('ipcs', [], { encoding: 'utf8' }).split('\n')
      .filter((l) => /^0x/.test(l)).map((l) => l.replace(/\s+/g, ' ').trim()).sort();
  } catch { return []; }
}
const shmSnapshot = () => (existsSync('/dev/shm') ? readdirSync('/dev/shm').sort() : []);
const tmpWithPrefix = () => readdirSync('/tmp').filter((n) => n.includes(runId));

const files = find(distTest).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files matched under ${distTest}; run the build first (npm test does)`);
  process.exit(1);
}

/** Test files not started yet. */
const queue = [...files];
/** Test files running now: the pids (= process group ids) of their processes. */
const running = new Set();

/**
 * Interrupted (Ctrl-C, a `timeout`, a closed terminal): the test files run in process groups of
 * their own, which the terminal's signal does not reach. Before, they ran on or died half-way,
 * and what they had made (sockets of CLI hubs, spool directories, shm segments) stayed in /tmp
 * and /dev/shm. Now no new file starts, the running ones' groups get SIGTERM (a CLI hub removes
 * its socket), then SIGKILL after a grace, and the end of the run below removes and lists
 * whatever carries this run's prefix.
 */
let interrupted;
const exitCodes = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
for (const signal of Object.keys(exitCodes)) {
  process.once(signal, () => {
    interrupted = signal;
    queue.length = 0;
    for (const pid of running) try { process.kill(-pid, 'SIGTERM'); } catch {}
    setTimeout(() => { for (const pid of running) try { process.kill(-pid, 'SIGKILL'); } catch {} }, 2000).unref();
  });
}

const ipc0 = new Set(ipcSnapshot());
const shm0 = new Set(shmSnapshot());
const results = [];

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [file], {
      cwd: root,
      detached: true, // own process group: the watchdog kills grandchildren too
      env: { ...process.env, UNIBUS_TEST_RUN: runId, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    let timedOut = false;
    const dog = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      running.delete(child.pid);
      clearTimeout(dog);
      // Whatever the file started in its group goes with it.
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
      const ms = Date.now() - started;
      const ok = code === 0 && !timedOut;
      const name = relative(distTest, file);
      const counts = /Total:\s+(\d+)[\s\S]*?Passed:\s+(\d+)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ''));
      results.push({ name, ok, total: counts ? +counts[1] : 0, passed: counts ? +counts[2] : 0 });
      const why = timedOut ? ` (watchdog: killed after ${timeoutS}s)` : ok ? '' : ` (exit ${code ?? signal})`;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${(ms / 1000).toFixed(1)}s${why}`);
      if (!ok || verbose) console.log(out.split('\n').map((l) => `   | ${l}`).join('\n'));
      resolve();
    });
  });
}

await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
  while (queue.length) await runFile(queue.shift());
}));

// Interrupted files never closed their sysvmq hubs, and System V queues do not go with their
// process: remove what a next hub of each address would, for the hubs this run started.
if (interrupted) await removeDeadSysvmqHubs();

// Wake queues of processes killed during the run (a test's SIGKILL, the bench ending a
// measurement's group) are removed by the next process that uses sysvmq; do what it would.
await removeDeadWakeQueues();

// Leftovers: anything this run made and did not remove.
const leftovers = [];
for (const l of ipcSnapshot()) if (!ipc0.has(l)) leftovers.push(`System V object: ${l}`);
for (const n of shmSnapshot()) if (!shm0.has(n)) leftovers.push(`/dev/shm/${n}`);
for (const n of tmpWithPrefix()) leftovers.push(`/tmp/${n}`);
if (leftovers.length) {
  console.log(`leftovers after the run (prefix ${runId}):\n  ${leftovers.join('\n  ')}`);
  for (const n of tmpWithPrefix()) rmSync(join('/tmp', n), { recursive: true, force: true });
  // An interrupted file never ran its cleanup: its shm segments (named with the prefix) go too.
  if (interrupted) for (const n of shmSnapshot()) if (n.includes(runId)) rmSync(join('/dev/shm', n), { force: true });
}
if (interrupted) {
  console.log(`\ninterrupted (${interrupted}): the rest of the run did not start`);
  process.exit(exitCodes[interrupted]);
}

const tests = results.reduce((a, r) => a + r.total, 0);
const passedTests = results.reduce((a, r) => a + r.passed, 0);
const failedFiles = results.filter((r) => !r.ok).length;
console.log(`\n${results.length} files, ${tests} tests; ${failedFiles} file(s) failed${leftovers.length ? '; leftovers found' : ''}`);
console.log(`${passedTests} passed, ${tests - passedTests + (failedFiles && tests === passedTests ? failedFiles : 0)} failed`);
process.exit(failedFiles || leftovers.length ? 1 : 0);

async function removeDeadSysvmqHubs() {
  const before = new Set([...ipc0].map((l) => Number(l.split(' ')[1])));
  try {
    const { deadSysvmqHubs } = await import(join(root, 'dist', 'src', 'cli', 'doctor', 'leftovers.js'));
    for (const hub of deadSysvmqHubs().dead) {
      if (before.has(hub.queues[0])) continue; // there before this run: not ours to judge
      for (const q of hub.queues) try { execFileSync('ipcrm', ['-q', String(q)], { stdio: 'ignore' }); } catch {}
      console.log(`removed the queues of a killed hub: ${hub.what}`);
    }
  } catch (err) {
    console.log(`could not look for killed sysvmq hubs: ${err.message}`);
  }
}

async function removeDeadWakeQueues() {
  try {
    const { sweepDeadWakeQueues } = await import(join(root, 'dist', 'src', 'transports', 'sysvmq', 'wake-key.js'));
    const n = sweepDeadWakeQueues();
    if (n > 0) console.log(`removed ${n} wake queue(s) of killed processes (as the next sysvmq process would)`);
  } catch (err) {
    console.log(`could not look for wake queues of killed processes: ${err.message}`);
  }
}
