/**
 * Supervisor with real processes: hung children (silent or SIGSTOPped) are killed and restarted,
 * crash loops stop at the intensity limit, a shell child is kept alive by bytes on its fd,
 * one-for-all restarts everyone, and stop() leaves no process of any child's group.
 * Order of events is checked; timings only bound the watchdogs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Supervisor, type ChildSpec, type SupervisorOptions } from '../../src/process/supervisor/index.js';
import { isChildSubreaper } from '../../src/native/prctl.js';
import { script } from '../helpers/processes.js';
import { until, within } from '../helpers/watchdog.js';
import { EventLog, liveInGroup } from './events.js';

const worker = script(import.meta.url, './fixtures/worker.js');
const node = (name: string, mode: string, extra: Partial<ChildSpec> = {}): ChildSpec =>
  ({ name, command: process.execPath, args: [worker, mode], stdout: 'ignore', ...extra });
const SHELL_BEAT = 'while :; do printf . >&"$UNIBUS_HEARTBEAT_FD" || exit 1; sleep 0.1; done';
const SHELL_SILENT = 'while :; do sleep 0.1; done';

/** Starts a supervisor; the test body runs; the supervisor is always stopped and checked clean. */
async function withSupervisor(options: SupervisorOptions, body: (sup: Supervisor, log: EventLog) => Promise<void>): Promise<void> {
  const sup = new Supervisor(options);
  const log = new EventLog(sup);
  sup.start();
  try {
    await body(sup, log);
  } finally {
    await within(30_000, 'supervisor stop', sup.stop());
  }
  for (const e of log.all) {
    if (e.type === 'started') assert.equal(await liveInGroup(e.pid), [], `group of ${e.child} pid=${e.pid} is gone`);
  }
}

test('a child that stops heartbeating is judged hung, SIGTERMed, SIGKILLed after the grace, and restarted', async () => {
  await withSupervisor({
    children: [node('w', 'hang')],
    heartbeat: { intervalMs: 250, threshold: 4 },
    graceMs: 500,
    backoff: { initialMs: 10 },
  }, async (_sup, log) => {
    const first = await log.wait('started');
    const second = await log.wait('started', (e) => e.attempt === 2);
    assert.is.not(second.pid, first.pid);
    const hung = await log.wait('hung');
    assert.is(hung.reason, 'missed-heartbeats');
    assert.is(hung.pid, first.pid);
    const exited = await log.wait('exited', (e) => e.pid === first.pid);
    assert.is(exited.signal, 'SIGKILL', 'the blocked child ignored SIGTERM');
    const types = log.types('w');
    const run1 = types.slice(0, types.indexOf('started', 1));
    // Missed beats counted 1..threshold, then hung, then the two signals, then the exit.
    assert.equal(run1.slice(run1.indexOf('hung') - 1), ['heartbeat-missed', 'hung', 'signalled:SIGTERM', 'signalled:SIGKILL', 'exited', 'restarting']);
    const missed = log.all.filter((e) => e.type === 'heartbeat-missed' && e.pid === first.pid).map((e) => (e as { missed: number }).missed);
    assert.equal(missed.slice(-4), [1, 2, 3, 4]);
    assert.equal(await liveInGroup(first.pid), []);
  });
});

test('a SIGSTOPped child is judged hung from /proc and restarted', async () => {
  await withSupervisor({
    children: [node('w', 'beat')],
    heartbeat: { intervalMs: 200, threshold: 1000 }, // only the stopped state can trigger
    graceMs: 2000,
    backoff: { initialMs: 10 },
  }, async (_sup, log) => {
    const first = await log.wait('started');
    process.kill(first.pid, 'SIGSTOP');
    const hung = await log.wait('hung');
    assert.is(hung.reason, 'stopped');
    const second = await log.wait('started', (e) => e.attempt === 2);
    assert.is.not(second.pid, first.pid);
    assert.equal(log.types('w').filter((t) => t !== 'heartbeat-missed').slice(0, 6),
      ['started', 'hung', 'signalled:SIGTERM', 'exited', 'restarting', 'started']);
    const exited = await log.wait('exited', (e) => e.pid === first.pid);
    assert.is(exited.signal, 'SIGTERM', 'SIGCONT let the stopped child act on SIGTERM');
  });
});

test('a crash loop stops at the restart intensity with a gave-up event, then everything stops', async () => {
  const sup = new Supervisor({
    children: [node('calm', 'beat'), node('crashy', 'crash')],
    heartbeat: { intervalMs: 1000, threshold: 30 },
    intensity: { maxRestarts: 3, periodMs: 60_000 },
    backoff: { initialMs: 5, maxMs: 40 },
  });
  const log = new EventLog(sup);
  sup.start();
  const reason = await within(60_000, 'supervisor giving up', sup.done);
  assert.is(reason, 'gave-up');
  const gaveUp = await log.wait('gave-up');
  assert.is(gaveUp.child, 'crashy');
  assert.is(gaveUp.restarts, 4);
  assert.is(gaveUp.periodMs, 60_000);
  assert.equal(log.types('crashy'), [
    'started', 'exited', 'restarting', 'started', 'exited', 'restarting',
    'started', 'exited', 'restarting', 'started', 'exited', 'gave-up',
  ]);
  const delays = log.all.filter((e) => e.type === 'restarting').map((e) => (e as { delayMs: number }).delayMs);
  assert.equal(delays, [5, 10, 20], 'exponential backoff');
  const tail = log.types().slice(-4);
  assert.equal(tail, ['stopping', 'signalled:SIGTERM', 'exited', 'stopped']);
  const calm = await log.wait('started', (e) => e.child === 'calm');
  assert.equal(await liveInGroup(calm.pid), []);
});

test('a shell child writing bytes to its inherited fd is kept alive while a silent one is restarted', async () => {
  await withSupervisor({
    children: [
      { name: 'sh-beat', command: 'sh', args: ['-c', SHELL_BEAT] },
      { name: 'sh-silent', command: 'sh', args: ['-c', SHELL_SILENT], graceMs: 1000 },
    ],
    heartbeat: { intervalMs: 300, threshold: 3 },
    backoff: { initialMs: 10 },
    intensity: { maxRestarts: 10, periodMs: 60_000 },
  }, async (_sup, log) => {
    // By the time the silent one has been judged hung twice, the beating one must be untouched.
    await log.wait('hung', (e) => e.child === 'sh-silent' && log.all.filter((x) => x.type === 'hung').length >= 2);
    await log.wait('started', (e) => e.child === 'sh-silent' && e.attempt === 3);
    assert.equal(log.types('sh-beat').filter((t) => t !== 'heartbeat-missed'), ['started']);
    assert.not.ok(log.types('sh-beat').includes('hung'));
  });
});

test('a Node child that never calls heartbeat() beats through the preloaded heartbeat', async () => {
  const idle = ['-e', 'setInterval(() => {}, 1000)'];
  await withSupervisor({
    children: [
      { name: 'auto', command: process.execPath, args: idle },
      { name: 'manual', command: process.execPath, args: idle, autoHeartbeat: false, graceMs: 1000 },
    ],
    heartbeat: { intervalMs: 400, threshold: 4 },
    backoff: { initialMs: 10 },
    intensity: { maxRestarts: 10, periodMs: 60_000 },
  }, async (_sup, log) => {
    await log.wait('started', (e) => e.child === 'manual' && e.attempt === 3);
    assert.equal(log.types('manual').filter((t) => t === 'hung').length, 2);
    assert.not.ok(log.types('auto').includes('hung'), log.types('auto').join(' '));
    assert.is(log.all.filter((e) => e.type === 'started' && e.child === 'auto').length, 1);
  });
});

test('one-for-all: when one child fails, the others are stopped in reverse order and all restart in order', async () => {
  await withSupervisor({
    strategy: 'one-for-all',
    children: [node('a', 'beat'), node('b', 'beat'), node('c', 'beat')],
    heartbeat: { intervalMs: 500, threshold: 20 },
    backoff: { initialMs: 10 },
  }, async (_sup, log) => {
    const b = await log.wait('started', (e) => e.child === 'b');
    await log.wait('started', (e) => e.child === 'c');
    process.kill(b.pid, 'SIGKILL');
    await log.wait('started', (e) => e.child === 'c' && e.attempt === 2);
    const after = log.all.slice(log.all.findIndex((e) => e.type === 'exited' && e.child === 'b'))
      .filter((e) => e.type === 'exited' || e.type === 'started').map((e) => `${e.type}:${(e as { child: string }).child}`);
    assert.equal(after, ['exited:b', 'exited:c', 'exited:a', 'started:a', 'started:b', 'started:c']);
  });
});

test('stop() stops children in reverse start order and no process of their groups remains', async () => {
  const sup = new Supervisor({
    children: [node('first', 'grandchild'), node('second', 'grandchild'), { name: 'third', command: 'sh', args: ['-c', SHELL_BEAT] }],
    heartbeat: { intervalMs: 500, threshold: 20 },
  });
  const log = new EventLog(sup);
  sup.start();
  const started = await Promise.all(['first', 'second', 'third'].map((c) => log.wait('started', (e) => e.child === c)));
  // The Node children have started their grandchildren (same group) once they beat.
  for (const s of started.slice(0, 2)) await until(`grandchild of ${s.child}`, async () => (await liveInGroup(s.pid)).length >= 2, 20_000);
  assert.ok(isChildSubreaper(), 'the supervisor process is a child subreaper');
  assert.is(await within(30_000, 'stop', sup.stop()), 'shutdown');
  const exits = log.all.filter((e) => e.type === 'exited').map((e) => (e as { child: string }).child);
  assert.equal(exits, ['third', 'second', 'first']);
  for (const s of started) assert.equal(await liveInGroup(s.pid), [], `group of ${s.child}`);
  assert.is(log.all.at(-1)?.type, 'stopped');
});

test('bad options are refused with the field named', () => {
  assert.throws(() => new Supervisor({ children: [{ name: 'a b', command: 'x' }] }), /children\[0\]\.name/);
  assert.throws(() => new Supervisor({ children: [{ name: 'a', command: 'x' }, { name: 'a', command: 'y' }] }), /duplicate child name/);
  assert.throws(() => new Supervisor({ children: [], heartbeat: { threshold: 0 } }), /heartbeat\.threshold/);
  assert.throws(() => new Supervisor({ children: [{ name: 'a', command: 'x', restart: 'sometimes' as never }] }), /restart must be one of/);
});

test.run();
