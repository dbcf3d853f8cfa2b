/**
 * `unibus supervise` as a real process: JSON lines on stdout, SIGINT stops every child (no process
 * of any child's group remains), and children exit on their own when the supervisor is SIGKILLed
 * (EOF on their heartbeat fd).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../src/bus/bus.js';
import { script, spawnNode, type Child } from '../helpers/processes.js';
import { runId } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';
import { liveInGroup } from './events.js';

const cli = script(import.meta.url, '../../../bin/unibus.js');
const worker = script(import.meta.url, './fixtures/worker.js');
const busChild = script(import.meta.url, './fixtures/bus-child.js');
const pipeChild = script(import.meta.url, './fixtures/pipe-bus-child.js');

// Not tmpDir(): its exit hook in a test file running in parallel removes plain files under the
// shared run directory, and these config files must live as long as this file runs.
const dir = mkdtempSync(join('/tmp', `unibus-${runId}-supervise-`));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({
    name,
    heartbeat: { intervalMs: 300, threshold: 20 },
    graceMs: 2000,
    children: [
      { name: 'one', command: process.execPath, args: [worker, 'grandchild'] },
      { name: 'two', command: process.execPath, args: [worker, 'beat'] },
      { name: 'three', command: 'sh', args: ['-c', 'while :; do printf . >&"$UNIBUS_HEARTBEAT_FD" || exit 1; sleep 0.1; done'] },
    ],
  }));
  return path;
}

interface Line { type: string; child?: string; pid?: number; reason?: string }
const events = (c: Child): Line[] => c.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);

async function startedPids(c: Child): Promise<number[]> {
  for (const name of ['one', 'two', 'three']) await c.waitLine(new RegExp(`^\\{"type":"started","child":"${name}"`), 30_000);
  return ['one', 'two', 'three'].map((n) => events(c).find((e) => e.type === 'started' && e.child === n)!.pid!);
}

test('SIGINT stops every child in reverse start order, exits 0 and leaves no process behind', async () => {
  const sup = spawnNode(cli, ['supervise', config('sigint')]);
  try {
    const pids = await startedPids(sup);
    await until('grandchild of one', async () => (await liveInGroup(pids[0]!)).length >= 2, 20_000);
    sup.kill('SIGINT');
    const { code } = await sup.waitExit(60_000);
    assert.is(code, 0, sup.stderr);
    const tail = events(sup).filter((e) => ['stopping', 'exited', 'stopped'].includes(e.type))
      .map((e) => (e.child ? `${e.type}:${e.child}` : `${e.type}:${e.reason}`));
    assert.equal(tail, ['stopping:shutdown', 'exited:three', 'exited:two', 'exited:one', 'stopped:shutdown']);
    for (const pid of pids) assert.equal(await liveInGroup(pid), [], `group ${pid}`);
  } finally {
    sup.kill('SIGKILL');
  }
});

test('children exit by themselves when the supervisor is SIGKILLed (EOF on their heartbeat fd)', async () => {
  const sup = spawnNode(cli, ['supervise', config('sigkill')]);
  let pids: number[] = [];
  try {
    pids = await startedPids(sup);
    sup.kill('SIGKILL');
    await sup.waitExit();
    // Node children SIGTERM their group on EOF (the grandchild `sleep` of `one` goes too); the
    // shell dies of EPIPE at its next beat.
    for (const pid of pids) await until(`group ${pid} gone`, async () => (await liveInGroup(pid)).length === 0, 20_000);
  } finally {
    for (const pid of pids) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  }
});

test('with a url in the config, the CLI serves a hub: events on $sys.supervisor.*, children on UNIBUS_URL', async () => {
  const url = `unix://${join(dir, 'bus.sock')}`;
  const path = join(dir, 'bus.json');
  writeFileSync(path, JSON.stringify({
    name: 'clibus', url, heartbeat: { intervalMs: 500, threshold: 20 }, backoff: { initialMs: 10 },
    children: [{ name: 'alpha', command: process.execPath, args: [busChild] }],
  }));
  const sup = spawnNode(cli, ['supervise', path]);
  let bus: Bus | undefined;
  try {
    const first = JSON.parse(await sup.waitLine(/^\{"type":"started","child":"alpha"/, 30_000)) as Line;
    bus = await Bus.connect(url);
    const seen: string[] = [];
    bus.subscribe('$sys.supervisor.clibus.>').subscribe((m) => seen.push(m.topic));
    bus.subscribe('workers.>').subscribe((m) => seen.push(m.topic));
    await bus.flush();
    process.kill(first.pid!, 'SIGKILL');
    await until('restarted alpha said hello', () => seen.includes('workers.alpha.hello'), 30_000);
    const order = seen.filter((t) => /\.(exited|restarting|started)$/.test(t)).map((t) => t.split('.').at(-1));
    assert.equal(order.slice(0, 3), ['exited', 'restarting', 'started']);
    await bus.close();
    bus = undefined;
    sup.kill('SIGINT');
    assert.is((await sup.waitExit(60_000)).code, 0, sup.stderr);
  } finally {
    await bus?.close();
    sup.kill('SIGKILL');
  }
});

test('by default children are on the supervisor\'s pipe: bus: one hears a sibling\'s restart on $sys.supervisor.*', async () => {
  const path = join(dir, 'pipe.json');
  writeFileSync(path, JSON.stringify({
    name: 'clipipe', heartbeat: { intervalMs: 500, threshold: 20 }, backoff: { initialMs: 10 },
    children: [
      { name: 'alpha', command: process.execPath, args: [pipeChild] },
      { name: 'beta', command: process.execPath, args: [worker, 'beat'] },
    ],
  }));
  const sup = spawnNode(cli, ['supervise', path]);
  const pids: number[] = [];
  try {
    const alpha = JSON.parse(await sup.waitLine(/^\{"type":"started","child":"alpha"/, 30_000)) as Line;
    const beta = JSON.parse(await sup.waitLine(/^\{"type":"started","child":"beta"/, 30_000)) as Line;
    pids.push(alpha.pid!, beta.pid!);
    for (const pid of pids) {
      assert.match(readlinkSync(`/proc/${pid}/fd/3`), /^pipe:\[\d+\]$/);
      assert.match(readlinkSync(`/proc/${pid}/fd/4`), /^pipe:\[\d+\]$/);
    }
    // alpha's stdout goes to the CLI's stderr; it is subscribed once it has said hello.
    await until('alpha subscribed', () => /^subscribed alpha$/m.test(sup.stderr), 30_000);
    process.kill(beta.pid!, 'SIGKILL');
    await until('alpha heard beta restart', () => /sys \$sys\.supervisor\.clipipe\.started beta/.test(sup.stderr), 30_000);
    const again = events(sup).filter((e) => e.type === 'started' && e.child === 'beta').at(-1)!;
    pids.push(again.pid!);
    sup.kill('SIGINT');
    assert.is((await sup.waitExit(60_000)).code, 0, sup.stderr);
    for (const pid of pids) assert.equal(await liveInGroup(pid), [], `group ${pid}`);
  } finally {
    sup.kill('SIGKILL');
  }
});

test('a bad config exits 2 with the field named', async () => {
  const path = join(dir, 'bad.json');
  writeFileSync(path, JSON.stringify({ children: [{ name: 'x', command: '' }] }));
  const sup = spawnNode(cli, ['supervise', path]);
  const { code } = await sup.waitExit();
  assert.is(code, 2);
  assert.match(sup.stderr, /children\[0\]\.command/);
});

test.run();
