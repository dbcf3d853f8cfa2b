/**
 * Failover on a real 3-server NATS cluster (routes on loopback): two peer processes on
 * different servers exchange messages while (1) a server neither uses is killed: nothing may be
 * lost; (2) the server one of them uses is killed: it must fail over within seconds and the
 * exchange must resume. Messages lost in the failover window are counted and printed.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NatsCluster, natsServerAvailable } from '../helpers/nats-server.js';
import { ChildSet, script, spawnNode, type Child } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

const N = 10_000;
const children = new ChildSet();
let cluster: NatsCluster | undefined;

/** The first line after now that matches `re` (earlier lines do not count). */
async function nextLine(child: Child, re: RegExp, ms = 30_000): Promise<string> {
  const from = child.lines.length;
  return until(`child ${child.pid} printing ${re} (stderr: ${child.stderr.slice(-400)})`,
    () => child.lines.slice(from).find((l) => re.test(l)), ms, 20);
}
const command = (child: Child, line: string) => child.proc.stdin!.write(`${line}\n`);

async function report(child: Child, phase: string): Promise<{ count: number; dupes: number; max: number }> {
  const wait = nextLine(child, new RegExp(`^report ${phase} `));
  command(child, `report ${phase}`);
  return JSON.parse((await wait).split(' ').slice(2).join(' '));
}

/** Polls a peer's report until it has `want` messages of `phase` or `ms` passes (then returns what it has). */
async function settle(child: Child, phase: string, want: number, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await report(child, phase);
    if (r.count >= want || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 250));
  }
}

async function exchange(a: Child, b: Child, phase: string, n: number, during?: { who: Child; at: number; action: () => Promise<void> }) {
  const sentA = nextLine(a, new RegExp(`^sent ${phase} `), 120_000);
  const sentB = nextLine(b, new RegExp(`^sent ${phase} `), 120_000);
  const trigger = during ? nextLine(during.who, new RegExp(`^progress ${phase} ${during.at}$`), 120_000) : undefined;
  command(a, `send ${phase} ${n}`);
  command(b, `send ${phase} ${n}`);
  if (trigger) { await trigger; await during!.action(); }
  await Promise.all([sentA, sentB]);
}

test.after(async () => {
  await children.killAll();
  await cluster?.close();
});

test('two peers on different servers of a 3-server cluster: failover and resumed exchange', async () => {
  assert.ok(natsServerAvailable(), 'nats-server is not installed (apt-get install -y nats-server)');
  cluster = await NatsCluster.start(3);
  const [s1, s2, s3] = cluster.servers as [typeof cluster.servers[0], typeof cluster.servers[0], typeof cluster.servers[0]];
  const prefix = uniqueName('fo');
  const peer = (me: string, other: string, first: number) => children.add(spawnNode(script(import.meta.url, './peer.js'), [], {
    NATS_URL: cluster!.url(first), PEER_ME: me, PEER_OTHER: other, PEER_PREFIX: prefix,
  }));
  const a = peer('a', 'b', 0);
  const b = peer('b', 'a', 1);
  assert.ok((await a.waitLine(/^ready /)).endsWith(`:${s1.port}`), 'a is on s1');
  assert.ok((await b.waitLine(/^ready /)).endsWith(`:${s2.port}`), 'b is on s2');
  const probedA = nextLine(a, /^probed$/);
  const probedB = nextLine(b, /^probed$/);
  command(a, 'probe');
  command(b, 'probe');
  await Promise.all([probedA, probedB]);

  // 1. A server neither peer uses dies mid-exchange: nothing may be lost or duplicated.
  await exchange(a, b, '1', N, { who: a, at: 3000, action: () => s3.kill() });
  const r1a = await settle(a, '1', N);
  const r1b = await settle(b, '1', N);
  console.log(`phase 1 (unrelated server killed): a got ${r1a.count}/${N}, b got ${r1b.count}/${N}`);
  assert.equal([r1a.count, r1a.dupes, r1b.count, r1b.dupes], [N, 0, N, 0]);

  // 2. b's own server dies mid-exchange: b fails over to s1 (next in its list) within seconds.
  const disconnected = nextLine(b, /^status disconnected /, 120_000);
  const reconnected = nextLine(b, /^status reconnected /, 120_000);
  await exchange(a, b, '2', N, { who: b, at: 3000, action: () => s2.kill() });
  const down = Number((await disconnected).split(' ')[2]);
  const upLine = await reconnected;
  const failoverMs = Number(upLine.split(' ')[2]) - down;
  assert.ok(failoverMs < 10_000, `failover took ${failoverMs}ms`);
  assert.ok(!upLine.endsWith(`:${s2.port}`), `b reconnected to another server: ${upLine}`);
  const r2a = await settle(a, '2', N, 5000);
  const r2b = await settle(b, '2', N, 5000);
  console.log(`phase 2 (b's server killed): failover ${failoverMs}ms; lost a→b ${N - r2b.count}, b→a ${N - r2a.count} of ${N} each`);
  assert.is(r2a.dupes + r2b.dupes, 0, 'no duplicates');
  assert.ok(r2a.count > 0 && r2b.count > 0);

  // 3. The exchange resumes completely once interest has reached the new server.
  const again = [nextLine(a, /^probed$/), nextLine(b, /^probed$/)];
  command(a, 'probe');
  command(b, 'probe');
  await Promise.all(again);
  await exchange(a, b, '3', 1000);
  const r3a = await settle(a, '3', 1000);
  const r3b = await settle(b, '3', 1000);
  assert.equal([r3a.count, r3a.dupes, r3b.count, r3b.dupes], [1000, 0, 1000, 0]);

  command(a, 'exit');
  command(b, 'exit');
  assert.equal((await a.waitExit()).code, 0);
  assert.equal((await b.waitExit()).code, 0);
});

test.run();
