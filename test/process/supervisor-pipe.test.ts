/**
 * The supervisor on its default bus, a `pipe:` hub it owns: Node children publish on it (fds 3/4
 * are their bus pipes, fd 5 their heartbeat), a shell child beats on fd 5 and ignores the pipes,
 * restarts (after SIGKILL or SIGSTOP) get fresh pipes, a `pipe:` bus given in the options starts
 * the children and stays open, and `bus: false` / another `url` keep the heartbeat on fd 3.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../src/bus/bus.js';
import type { Message } from '../../src/bus/types.js';
import { Supervisor, type ChildSpec } from '../../src/process/supervisor/index.js';
import { script } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';
import { EventLog, liveInGroup } from './events.js';

const child = script(import.meta.url, './fixtures/pipe-bus-child.js');
const SHELL_BEAT = 'while :; do printf . >&"$UNIBUS_HEARTBEAT_FD" || exit 1; sleep 0.1; done';
const nodeChild = (name: string): ChildSpec => ({ name, command: process.execPath, args: [child], stdout: 'ignore' });

interface Hello { pid: number; url: string | null; pipeFds: string | null; links: Array<string | null> }
/** Every hello on `bus`, by pid. */
function hellos(bus: Bus): Map<number, Hello> {
  const byPid = new Map<number, Hello>();
  bus.subscribe('workers.*.hello').subscribe((m: Message) => {
    const h = m.data as Hello;
    byPid.set(h.pid, h);
  });
  return byPid;
}

async function allGone(log: EventLog): Promise<void> {
  for (const e of log.all) {
    if (e.type === 'started') assert.equal(await liveInGroup(e.pid), [], `group of ${e.child} pid=${e.pid} is gone`);
  }
}

test('by default children run on a pipe: hub the supervisor owns: a Node child publishes there, a shell child beats on fd 5', async () => {
  const sup = new Supervisor({
    name: 'pipetest',
    children: [nodeChild('alpha'), { name: 'sh', command: 'sh', args: ['-c', SHELL_BEAT] }],
    heartbeat: { intervalMs: 300, threshold: 4 },
  });
  const log = new EventLog(sup);
  try {
    sup.start();
    await within(30_000, 'ready', sup.ready);
    const hub = sup.hub;
    assert.ok(hub, 'the supervisor serves a hub');
    assert.is(hub.url, 'pipe:');
    assert.ok(hub.isHub);
    const sys: string[] = [];
    hub.subscribe('$sys.supervisor.pipetest.>').subscribe((m) => sys.push(m.topic));
    const heard = hellos(hub);
    const alpha = await log.wait('started', (e) => e.child === 'alpha');
    await until('alpha said hello on the pipe hub', () => heard.has(alpha.pid), 30_000);
    const h = heard.get(alpha.pid)!;
    assert.is(h.url, 'pipe:');
    assert.is(h.pipeFds, '3,4');
    assert.match(h.links[0]!, /^pipe:\[\d+\]$/);
    assert.match(h.links[1]!, /^pipe:\[\d+\]$/);
    assert.match(h.links[2]!, /^socket:\[\d+\]$/, 'fd 5 is the heartbeat socketpair');
    assert.ok(hub.peers().some((p) => p.pid === alpha.pid), 'alpha is a peer of the hub');
    // The shell ignores its bus pipes and beats on fd 5: it is never judged hung.
    const sh = await log.wait('started', (e) => e.child === 'sh');
    assert.match(readlinkSync(`/proc/${sh.pid}/fd/5`), /^socket:\[\d+\]$/);
    const env = readFileSync(`/proc/${sh.pid}/environ`, 'utf8').split('\0');
    assert.ok(env.includes('UNIBUS_HEARTBEAT_FD=5'), 'heartbeat fd announced');
    assert.ok(env.includes('UNIBUS_URL=pipe:'));
    const checks = (): number => log.all.filter((e) => e.type === 'heartbeat-missed').length;
    await new Promise((resolve) => setTimeout(resolve, 300 * 8));
    assert.not.ok(log.types('sh').includes('hung'), log.types('sh').join(' '));
    assert.not.ok(log.types('alpha').includes('hung'), log.types('alpha').join(' '));
    assert.ok(checks() < 4, `beats reached the supervisor (missed: ${checks()})`);
    await within(30_000, 'stop', sup.stop());
    assert.is(sup.hub, undefined, 'the hub is closed once the supervisor is done');
    await hub.publish('after.close', 1).then(() => assert.unreachable('hub still open'), (err: Error) => assert.is(err.name, 'ClosedError'));
    const types = sys.map((t) => t.split('.').at(-1));
    // (The `started` events came before this subscription: children launch as `ready` resolves.)
    assert.equal(types.filter((t) => t === 'exited').length, 2, types.join(' '));
    assert.ok(types.includes('stopping'), types.join(' '));
    assert.is(types.at(-1), 'stopped', 'the last event reached the hub before it closed');
  } finally {
    await sup.stop();
  }
  await allGone(log);
});

test('a restart gets a fresh pipe connection, after SIGKILL and after SIGSTOP (hung)', async () => {
  const sup = new Supervisor({
    children: [nodeChild('alpha')],
    heartbeat: { intervalMs: 250, threshold: 1000 }, // only the stopped state can trigger
    graceMs: 1000,
    backoff: { initialMs: 10 },
  });
  const log = new EventLog(sup);
  try {
    sup.start();
    await within(30_000, 'ready', sup.ready);
    const hub = sup.hub!;
    const heard = hellos(hub);
    const pidOf = async (attempt: number): Promise<number> => (await log.wait('started', (e) => e.attempt === attempt)).pid;
    const first = await pidOf(1);
    await until('first run said hello', () => heard.has(first), 30_000);
    process.kill(first, 'SIGKILL');
    const second = await pidOf(2);
    await until('second run said hello', () => heard.has(second), 30_000);
    process.kill(second, 'SIGSTOP');
    const hung = await log.wait('hung');
    assert.is(hung.reason, 'stopped');
    assert.is(hung.pid, second);
    const third = await pidOf(3);
    await until('third run said hello', () => heard.has(third), 30_000);
    assert.equal(new Set([first, second, third]).size, 3);
    const links = [heard.get(second)!.links, heard.get(third)!.links];
    assert.is.not(links[1][0], links[0][0], 'a fresh read pipe');
    assert.is.not(links[1][1], links[0][1], 'a fresh write pipe');
    await until('the hub dropped the dead runs', () => {
      const pids = hub.peers().map((p) => p.pid);
      return pids.includes(third) && !pids.includes(first) && !pids.includes(second);
    }, 20_000);
    assert.equal(log.types('alpha').filter((t) => t !== 'heartbeat-missed'), [
      'started', 'exited', 'restarting', 'started', 'hung', 'signalled:SIGTERM', 'exited', 'restarting', 'started',
    ]);
  } finally {
    await within(30_000, 'stop', sup.stop());
  }
  await allGone(log);
});

test('a pipe: bus given in the options starts the children and is left open', async () => {
  const hub = await Bus.listen('pipe:');
  try {
    const sys: string[] = [];
    hub.subscribe('$sys.supervisor.given.>').subscribe((m) => sys.push(m.topic));
    const heard = hellos(hub);
    const sup = new Supervisor({ name: 'given', bus: hub, children: [nodeChild('alpha')], heartbeat: { intervalMs: 500, threshold: 20 } });
    const log = new EventLog(sup);
    sup.start();
    await sup.ready;
    assert.is(sup.hub, undefined, 'no hub of its own');
    const alpha = await log.wait('started');
    await until('alpha said hello on the given hub', () => heard.has(alpha.pid), 30_000);
    assert.is(heard.get(alpha.pid)!.url, 'pipe:');
    await within(30_000, 'stop', sup.stop());
    await until('stopped on the bus', () => sys.includes('$sys.supervisor.given.stopped'), 10_000);
    await hub.publish('still.open', 1);
    await allGone(log);
  } finally {
    await hub.close();
  }
});

test('bus: false and a url of another scheme: the heartbeat stays on fd 3, UNIBUS_URL as configured', async () => {
  const dir = tmpDir('suppipe');
  const report = (file: string): ChildSpec => ({
    name: file,
    command: 'sh',
    args: ['-c', `printf '%s %s' "$UNIBUS_HEARTBEAT_FD" "\${UNIBUS_URL-none}" > ${join(dir, file)}; ${SHELL_BEAT}`],
  });
  const url = `unix://${join(dir, 'nobody.sock')}`;
  for (const [options, file, expected] of [
    [{ bus: false }, 'none', '3 none'],
    [{ url }, 'url', `3 ${url}`],
  ] as const) {
    const sup = new Supervisor({ ...options, children: [report(file)], heartbeat: { intervalMs: 500, threshold: 20 } });
    const log = new EventLog(sup);
    sup.start();
    try {
      await sup.ready;
      assert.is(sup.hub, undefined);
      await until(`${file} reported`, () => { try { return readFileSync(join(dir, file), 'utf8') === expected; } catch { return false; } }, 20_000);
    } finally {
      await within(30_000, 'stop', sup.stop());
    }
    await allGone(log);
  }
});

test('a command that cannot start through the pipe hub is spawn-failed, and the supervisor ends cleanly', async () => {
  const sup = new Supervisor({ children: [{ name: 'ghost', command: '/nonexistent/unibus-ghost', restart: 'temporary' }] });
  const log = new EventLog(sup);
  sup.start();
  assert.is(await within(30_000, 'done', sup.done), 'all-exited');
  const failed = await log.wait('spawn-failed');
  assert.match(failed.error, /ENOENT/);
  assert.equal(log.types(), ['spawn-failed', 'done', 'stopping', 'stopped']);
});

test('pipe: options that cannot work are refused with the field named', () => {
  assert.throws(() => new Supervisor({ children: [], bus: false, url: 'pipe:' }), /url=pipe: needs a bus/);
  assert.throws(() => new Supervisor({ children: [], url: 'pipe://host/x' }), /Invalid supervisor option: url/);
  assert.throws(() => new Supervisor({ children: [], bus: {} as never }), /bus must have a publish/);
});

test.run();
