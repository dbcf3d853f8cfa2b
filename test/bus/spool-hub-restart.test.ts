/**
 * `file://`: durable clients that stay connected across a SIGKILL of their hub lose nothing.
 * A new hub continues (resumes) each live Bus session with the subscriptions it had, so what a
 * durable publisher published while no hub ran, or before a subscriber came back, reaches every
 * durable subscriber, whichever of them the new hub reads first. The subscriber is held with
 * SIGSTOP so that the publisher is certainly served first (the case that lost everything).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { channelPaths } from '../../src/transports/spool/channel-layout.js';
import { PositionFile } from '../../src/transports/spool/position-file.js';
import { ChildSet, script, spawnNode, type Child } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';
import { removeTmp } from '../sync/cleanup.js';
import { startCliHub } from '../cli/cli-helpers.js';

const publisher = script(import.meta.url, './peers/gap-publisher.js');
const subscriber = script(import.meta.url, './peers/durable-subscriber.js');
const twoWay = script(import.meta.url, './peers/two-way-peer.js');
const dir = tmpDir('hub-restart');
const children = new ChildSet();

test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

const hub = (url: string): Promise<Child> => startCliHub(children, url);

/** Numbers a subscriber printed (`got N`), in arrival order. */
const received = (c: Child): number[] => c.lines.filter((l) => l.startsWith('got ')).map((l) => Number(l.slice(4)));

/** True once the hub has taken (and committed) everything client `name` appended to its `up` log. */
function upConsumed(spool: string, name: string): boolean {
  const up = channelPaths(spool, name).up;
  const head = new PositionFile(join(up, 'head'), 0o600);
  const hubOffset = new PositionFile(join(up, 'consumers', 'hub'), 0o600);
  try {
    return (hubOffset.read() ?? -1) >= (head.read() ?? 0);
  } finally {
    head.close();
    hubOffset.close();
  }
}

/** Every number in [0, n) arrived, first arrivals in order; duplicates are allowed (at least once). */
function checkAll(got: number[], n: number, what: string): void {
  const missing = Array.from({ length: n }, (_, i) => i).filter((i) => !got.includes(i));
  assert.equal(missing.length, 0, `${what}: ${missing.length} of ${n} missing (first: ${missing.slice(0, 5).join(',')})`);
  const firsts = got.filter((v, i) => got.indexOf(v) === i);
  assert.equal(firsts, Array.from({ length: n }, (_, i) => i), `${what}: in order`);
}

/** A hub, a durable subscriber (sub1) and a durable publisher (pub1) on a new spool; 0-9 delivered. */
async function durablePair(name: string): Promise<{ spool: string; url: string; hub1: Child; sub: Child; pub: Child }> {
  const spool = join(dir, name);
  const url = `file://${spool}`;
  const hub1 = await hub(url);
  const sub = children.add(spawnNode(subscriber, [`${url}?consumer=sub1`]));
  await sub.waitLine(/^ready$/, 30_000);
  const pub = children.add(spawnNode(publisher, [`${url}?consumer=pub1`]));
  await pub.waitLine(/^connected /, 30_000);
  pub.proc.stdin!.write('publish 0 10\n');
  await pub.waitLine(/^published 10$/, 30_000);
  await until('0-9 through the first hub', () => received(sub).length >= 10, 30_000);
  return { spool, url, hub1, sub, pub };
}

test('publisher served first after a hub SIGKILL: its gap publishes reach the durable subscriber', async () => {
  const { spool, url, hub1, sub, pub } = await durablePair('pubfirst');

  hub1.kill('SIGKILL');
  await hub1.exited;
  sub.kill('SIGSTOP'); // the subscriber cannot say anything to the next hub before the publisher
  pub.proc.stdin!.write('publish 10 310\n'); // no hub: each publish resolves once in the spool
  await pub.waitLine(/^published 310$/, 30_000);
  await hub(url);
  pub.proc.stdin!.write('publish 310 360\n');
  await pub.waitLine(/^published 360$/, 30_000);
  await until('the new hub took everything the publisher wrote', () => upConsumed(spool, 'pub1'), 30_000);
  sub.kill('SIGCONT');
  await until(`all 360 at the subscriber (has ${new Set(received(sub)).size})`, () => new Set(received(sub)).size >= 360, 30_000)
    .catch(() => undefined);
  checkAll(received(sub), 360, 'durable subscriber');
});

test('a publisher that closed before its hub read everything: a new hub delivers the rest', async () => {
  const { url, hub1, sub, pub } = await durablePair('closed');

  hub1.kill('SIGSTOP'); // alive (its lock held) but reading nothing: the publisher's frames wait
  pub.proc.stdin!.write('publish 10 500\n');
  await pub.waitLine(/^published 500$/, 30_000);
  pub.proc.stdin!.end(); // the publisher closes its bus (BYE, close) and exits
  assert.equal((await pub.waitExit()).code, 0);
  hub1.kill('SIGKILL');
  await hub1.exited;
  await hub(url);
  await until(`all 500 at the subscriber (has ${new Set(received(sub)).size})`, () => new Set(received(sub)).size >= 500, 30_000)
    .catch(() => undefined);
  checkAll(received(sub), 500, 'durable subscriber');
});

test('peers that publish and subscribe, all with frames a new hub has not read: each gets all of the other\'s', async () => {
  // Neither `up` log is drained when the new hub starts, so it must take over both sessions
  // before it routes either backlog. It used to resume only the channel it read first, route its
  // backlog (acknowledged, published while no hub ran), and only then resume the other: every
  // message of the first was lost to the second, which never left.
  const url = `file://${join(dir, 'twoway')}`;
  const hub1 = await hub(url);
  const peers = ['a', 'b'].map((name) => children.add(spawnNode(twoWay, [`${url}?consumer=${name}`, name])));
  await Promise.all(peers.map((p) => p.waitLine(/^ready$/, 30_000)));
  hub1.kill('SIGKILL');
  await hub1.exited;
  for (const p of peers) p.proc.stdin!.write('publish 0 300\n'); // no hub: each resolves once in the spool
  await Promise.all(peers.map((p) => p.waitLine(/^published 300$/, 30_000)));
  await hub(url);
  const from = (c: Child, who: string): number[] => c.lines.filter((l) => l.startsWith(`got ${who} `)).map((l) => Number(l.split(' ')[2]));
  const [a, b] = peers as [Child, Child];
  await until('each peer has all 300 of the other\'s', () => new Set(from(a, 'b')).size >= 300 && new Set(from(b, 'a')).size >= 300, 30_000)
    .catch(() => undefined);
  checkAll(from(a, 'b'), 300, 'a <- b');
  checkAll(from(b, 'a'), 300, 'b <- a');
});

test.run();
