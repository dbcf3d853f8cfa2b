// `$sys.stats`: exact per-topic counts, per-peer figures and fill, a SIGKILLed peer's departure
// as an event, and nothing counted while nobody subscribes.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/bus/bus.js';
import { SYS_STATS, type StatsMessage } from '../../src/bus/hub/stats.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { runId, tmpDir } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const children = new ChildSet();
const buses: Bus[] = [];
test.after.each(async () => {
  await children.killAll();
  for (const b of buses.splice(0).reverse()) await b.close();
});
const traffic = script(import.meta.url, '../cli/monitor-traffic.js');

async function open(url: string): Promise<{ hub: Bus; stats: StatsMessage[]; watcher: Bus; stop(): void }> {
  const hub = await Bus.listen(url, { name: 'stats-hub' });
  buses.push(hub);
  const watcher = await Bus.connect(url, { name: 'watcher' });
  buses.push(watcher);
  const stats: StatsMessage[] = [];
  const sub = watcher.subscribe(SYS_STATS).subscribe((m) => stats.push(m.data as StatsMessage));
  await watcher.flush();
  return { hub, stats, watcher, stop: () => sub.unsubscribe() };
}

test('every PUB is counted once per topic; peers carry rates, totals and fill', async () => {
  const url = `unix://${join(tmpDir('stats'), 'hub.sock')}`;
  const { stats } = await open(url);
  const sub = await Bus.connect(url, { name: 'counter-sub' });
  buses.push(sub);
  let received = 0;
  sub.subscribe('count.*').subscribe(() => { received++; });
  const pub = await Bus.connect(url, { name: 'counter-pub' });
  buses.push(pub);
  await sub.flush();
  for (let i = 0; i < 500; i++) void pub.publish('count.me', { i });
  for (let i = 0; i < 7; i++) void pub.publish('nobody.listens', i);
  await pub.flush();
  const sum = (topic: string): number => stats.reduce((n, s) => n + (s.topics.find((t) => t.topic === topic)?.msgs ?? 0), 0);
  await until('all 500 counted', () => sum('count.me') === 500 && sum('nobody.listens') === 7, 20_000);
  await until('a later message', () => stats.length >= 2 && sum('count.me') === 500, 20_000);
  assert.is(received, 500);
  const last = stats.at(-1)!;
  assert.is(last.hub.name, 'stats-hub');
  assert.is(last.hub.transport, 'unix');
  assert.ok(last.hub.fds === null || last.hub.fds > 0);
  const withCount = stats.find((s) => s.topics.some((t) => t.topic === 'count.me'))!;
  assert.is(withCount.topics.find((t) => t.topic === 'count.me')!.subscribers, 1);
  assert.is(withCount.topics.find((t) => t.topic === 'nobody.listens')!.subscribers, 0);
  const p = last.peers.find((x) => x.name === 'counter-pub')!;
  assert.is(p.msgsIn, 507);
  assert.is(p.transport, 'unix');
  assert.is(p.pid, process.pid);
  const s = last.peers.find((x) => x.name === 'counter-sub')!;
  assert.ok(s.msgsOut >= 500, `frames out to the subscriber: ${s.msgsOut}`);
  assert.ok(typeof s.fill === 'number' && s.fill >= 0 && s.fill <= 1, `fill ${s.fill}`);
  assert.is(s.drops, 0);
  assert.is(s.full, false);
});

test('a peer killed with SIGKILL leaves the list and shows as a peer-left event with its reason', async () => {
  const url = `unix://${join(tmpDir('stats'), 'hub.sock')}`;
  const { stats } = await open(url);
  const doomed = children.add(spawnNode(traffic, [url, 'doomed', '-', 'x.y:1']));
  await doomed.waitLine(/^ready$/);
  await until('doomed listed', () => stats.at(-1)?.peers.some((p) => p.name === 'doomed'), 20_000);
  doomed.kill('SIGKILL');
  await doomed.waitExit();
  await until('doomed gone', () => stats.some((s) => s.events.some((e) => e.type === 'peer-left' && e.peer?.name === 'doomed')), 20_000);
  const left = stats.flatMap((s) => s.events).find((e) => e.type === 'peer-left' && e.peer?.name === 'doomed')!;
  assert.is(left.reason, 'peer-gone');
  assert.is(left.peer!.pid, doomed.pid);
  await until('not listed', () => !stats.at(-1)!.peers.some((p) => p.name === 'doomed'), 20_000);
});

test('nothing is counted while nobody subscribes to $sys.stats', async () => {
  const url = `unix://${join(tmpDir('stats'), 'hub.sock')}`;
  const { stats, stop, watcher } = await open(url);
  await until('monitoring on', () => stats.length >= 1, 20_000);
  stop();
  await watcher.flush(); // the hub has processed the UNSUB
  const pub = await Bus.connect(url, { name: 'unwatched' });
  buses.push(pub);
  for (let i = 0; i < 300; i++) void pub.publish('while.off', i);
  await pub.flush();
  const again: StatsMessage[] = [];
  watcher.subscribe(SYS_STATS).subscribe((m) => again.push(m.data as StatsMessage));
  await watcher.flush();
  const first = await within(20_000, 'stats again', until('a message', () => again[0]));
  assert.not.ok(first.topics.some((t) => t.topic === 'while.off'), 'traffic while off was not counted');
  assert.is(first.peers.find((p) => p.name === 'unwatched')?.msgsIn, 0);
});

test('at most 200 peers are listed, the busy one among them; the rest are counted in peersOmitted', async () => {
  const url = `unix://${join(tmpDir('stats'), 'hub.sock')}`;
  const { stats } = await open(url);
  for (let i = 0; i < 205; i++) buses.push(await Bus.connect(url, { name: `idle-${i}` }));
  const busy = await Bus.connect(url, { name: 'busy' });
  buses.push(busy);
  // Published until a message lists it: the interval it counts in may be the next one.
  await until('a message with every peer', () => {
    void busy.publish('busy.topic', 1);
    const last = stats.at(-1);
    return last !== undefined && last.hub.peers >= 207 && last.peers.some((p) => p.name === 'busy');
  }, 30_000);
  const last = stats.at(-1)!;
  assert.is(last.peers.length, 200);
  assert.is(last.peersOmitted, last.hub.peers - 200);
});

test('shm:// peers report the fill of their ring', async () => {
  const url = `shm://${runId}-stats`;
  const { stats } = await open(url);
  await until('a message', () => stats.at(-1)?.peers.some((p) => p.name === 'watcher'), 20_000);
  const w = stats.at(-1)!.peers.find((p) => p.name === 'watcher')!;
  assert.is(w.transport, 'shm');
  assert.ok(typeof w.fill === 'number' && w.fill >= 0 && w.fill <= 1, `fill ${w.fill}`);
});

test.run();
