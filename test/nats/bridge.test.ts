/**
 * The bridge (`unibus bridge` as a real process) between a unix:// hub and a NATS server:
 * exported topics reach a NATS subscriber and come back, exactly once each; overlapping
 * export/import patterns do not loop; requests cross both ways, no responders included.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/bus/bus.js';
import { NoRespondersError } from '../../src/errors.js';
import { NatsServer, natsServerAvailable } from '../helpers/nats-server.js';
import { ChildSet, script, spawnNode, type Child } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

const cli = script(import.meta.url, '../../../bin/unibus.js');
const children = new ChildSet();
let server: NatsServer;
let hub: Bus;
let local: Bus;
let remote: Bus;
let bridge: Child;

test.before(async () => {
  assert.ok(natsServerAvailable(), 'nats-server is not installed (apt-get install -y nats-server)');
  server = await NatsServer.start();
  const socket = `unix:///tmp/${uniqueName('bridge')}.sock`;
  hub = await Bus.listen(socket);
  bridge = children.add(spawnNode(cli, [
    'bridge', socket, server.url,
    '--export', 'up.>', '--import', 'down.>', '--export', 'both.>', '--import', 'both.>',
  ]));
  await bridge.waitLine(/^bridging /, 30_000);
  local = await Bus.connect(socket);
  remote = await Bus.connect(server.url);
});

test.after(async () => {
  await local?.close();
  await remote?.close();
  await children.killAll();
  await hub?.close();
  await server?.kill();
});

/** Counts per topic, for exactly-once checks. */
function counter() {
  const counts = new Map<string, number>();
  return {
    add: (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1),
    get: (key: string) => counts.get(key) ?? 0,
    size: () => counts.size,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    dupes: () => [...counts.entries()].filter(([, n]) => n > 1).map(([k]) => k),
  };
}

test('exported topics reach a NATS subscriber and come back, exactly once each', async () => {
  const atRemote = counter();
  const back = counter();
  const echo = remote.subscribe('up.>').subscribe((m) => {
    atRemote.add(m.topic);
    void remote.publish(`down.${m.topic.slice(3)}`, m.data);
  });
  await remote.flush();
  local.subscribe('down.>').subscribe((m) => back.add(`${m.topic}=${(m.data as { n: number }).n}`));
  await local.flush();
  const N = 500;
  for (let n = 0; n < N; n++) await local.publish(`up.m${n}`, { n });
  await local.flush();
  await until('all back', () => back.size() === N, 30_000);
  // A last message through the same path: anything duplicated would have come before it.
  await local.publish('up.end', { n: -1 });
  await until('sentinel back', () => back.get('down.end=-1') === 1, 30_000);
  assert.is(atRemote.total(), N + 1);
  assert.equal(atRemote.dupes(), []);
  assert.is(back.total(), N + 1);
  assert.equal(back.dupes(), []);
  for (let n = 0; n < N; n += 97) assert.is(back.get(`down.m${n}=${n}`), 1);
  echo.unsubscribe();
  await remote.flush();
});

test('overlapping export and import patterns do not loop: each side sees each message once', async () => {
  const p = uniqueName('o').replace(/-/g, '_');
  const atLocal = counter();
  const atRemote = counter();
  local.subscribe(`both.${p}.>`).subscribe((m) => atLocal.add(`${m.topic}#${m.data as number}`));
  remote.subscribe(`both.${p}.>`).subscribe((m) => atRemote.add(`${m.topic}#${m.data as number}`));
  await Promise.all([local.flush(), remote.flush()]);
  for (let i = 0; i < 100; i++) {
    await local.publish(`both.${p}.l`, i);
    await remote.publish(`both.${p}.r`, i);
  }
  await Promise.all([local.flush(), remote.flush()]);
  await until('200 on each side', () => atLocal.total() >= 200 && atRemote.total() >= 200, 30_000);
  await local.publish(`both.${p}.end`, 0);
  await remote.publish(`both.${p}.end`, 1);
  await until('sentinels on both sides', () => ['#0', '#1'].every((s) => atLocal.get(`both.${p}.end${s}`) && atRemote.get(`both.${p}.end${s}`)), 30_000);
  assert.is(atLocal.total(), 202, `local saw ${atLocal.total()}`);
  assert.is(atRemote.total(), 202, `remote saw ${atRemote.total()}`);
  assert.equal(atLocal.dupes(), []);
  assert.equal(atRemote.dupes(), []);
});

test('requests cross the bridge both ways; no responders on NATS reaches the local requester', async () => {
  const served = remote.serve('up.double', (n) => (n as number) * 2);
  const servedLocally = local.serve('down.upper', (s) => (s as string).toUpperCase());
  await Promise.all([remote.flush(), local.flush()]);
  assert.is(await local.request('up.double', 21, { timeout: 10_000 }), 42);
  assert.is(await remote.request('down.upper', 'shout', { timeout: 10_000 }), 'SHOUT');
  const err = await local.request('up.nobody', 1, { timeout: 10_000 }).then(() => null, (e: unknown) => e);
  assert.instance(err, NoRespondersError, String(err));
  served.close();
  servedLocally.close();
});

test('the bridge stops on SIGTERM and reports what it carried', async () => {
  bridge.kill('SIGTERM');
  const exit = await bridge.waitExit(30_000);
  assert.is(exit.code, 0, bridge.stderr);
  const stats = JSON.parse(/bridge stopped: (.*)/.exec(bridge.stderr)![1]!) as Record<string, number>;
  assert.ok(stats.exported! >= 603, `exported ${stats.exported}`);
  assert.ok(stats.skipped! >= 200, `skipped ${stats.skipped} (marked messages not sent back)`);
  assert.is(stats.failed, 0);
});

test.run();
