/**
 * `file://`: a Bus client that dies while no hub runs must not lose what it published in the
 * gap. The next hub resumes its session from the resume state the client kept and delivers
 * them. Without a resume state, it declines the session and, as the client is dead, keeps the
 * session's frames unread; the client's next process on that name takes them back when it
 * connects and publishes them again (at least once).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../src/bus/bus.js';
import { channelPaths } from '../../src/transports/spool/channel-layout.js';
import { declinedIn, readSession } from '../../src/transports/spool/take-back.js';
import { ChildSet, script, spawnNode, type Child } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';
import { removeTmp } from '../sync/cleanup.js';
import { startCliHub } from '../cli/cli-helpers.js';

const publisher = script(import.meta.url, './peers/gap-publisher.js');
const dir = tmpDir('take-back');
const children = new ChildSet();
const open: Bus[] = [];

test.after(async () => {
  for (const b of open.splice(0).reverse()) await b.close();
  await children.killAll();
  removeTmp(dir);
});

const hub = (url: string): Promise<Child> => startCliHub(children, url);

/**
 * Hub 1 routes 0-4 from a publisher (client name `pub`) to a durable subscriber; hub 1 is killed,
 * the publisher publishes 5-9 (in the spool) and is killed too; then hub 2 starts.
 * `beforeHub2` runs in that gap. Returns the subscriber's set and the spool path.
 */
async function gapThenDeath(label: string, beforeHub2: (spool: string) => void) {
  const spool = join(dir, label);
  const url = `file://${spool}`;
  const hub1 = await hub(url);
  const sub = await Bus.connect(`${url}?consumer=sub`);
  open.push(sub);
  const got = new Set<number>();
  sub.subscribe('g').subscribe((m) => got.add(m.data as number));
  await sub.flush();

  const pub1 = children.add(spawnNode(publisher, [`${url}?consumer=pub`]));
  await pub1.waitLine(/^connected /);
  pub1.proc.stdin!.write('publish 0 5\n');
  await pub1.waitLine(/^published 5$/);
  await until('0-4 delivered through the first hub', () => got.size === 5, 20_000);

  hub1.kill('SIGKILL');
  await hub1.exited;
  pub1.proc.stdin!.write('publish 5 10\n'); // the gap: accepted into the spool, no hub reads it
  await pub1.waitLine(/^published 10$/);
  pub1.kill('SIGKILL');
  await pub1.exited;
  beforeHub2(spool);
  await hub(url);
  return { spool, url, sub, got };
}

test('what a client published in a hub gap reaches subscribers, though the client died before the next hub', async () => {
  const { url, sub, got } = await gapThenDeath('resumed', () => undefined);
  // The new hub resumes the dead client's session from its resume state and delivers its frames.
  await until(`5-9, published in the gap, delivered (got ${[...got].join(',')})`, () => got.size === 10, 20_000);
  assert.equal([...got].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await until('the subscriber saw the new hub', () => sub.stats().reconnects >= 1, 20_000);
  // Nothing was left for the next process of that name to take back.
  const pub2 = children.add(spawnNode(publisher, [`${url}?consumer=pub`]));
  assert.equal(Number((await pub2.waitLine(/^connected /)).split('=')[1]), 0);
});

test('a session without resume state is declined; the next process of the name takes its gap frames back', async () => {
  // A client killed before it wrote its resume state (or written by an older version) has none.
  const { spool, url, sub, got } = await gapThenDeath('declined', (s) => rmSync(channelPaths(s, 'pub').resume));
  // The new hub declines the dead client's session (and keeps its frames for the next one).
  await until('the session declined', () => declinedIn(channelPaths(spool, 'pub').down, readSessionId(spool), { mode: 0o600, maxFrameSize: 16 << 20, onCorrupt: () => undefined }), 20_000);
  await until('the subscriber is back', () => sub.stats().reconnects >= 1, 20_000);
  await sub.flush();

  const pub2 = children.add(spawnNode(publisher, [`${url}?consumer=pub`]));
  // The 5 gap messages, and at most one more: the last one the killed hub routed may not have
  // been committed yet (it commits once the routed copy is written): at least once.
  const sent = Number((await pub2.waitLine(/^connected /)).split('=')[1]);
  assert.ok(sent === 5 || sent === 6, `the next process took back the gap messages and sent them: sent=${sent}`);
  await until(`5-9, published in the gap, delivered (got ${[...got].join(',')})`, () => got.size === 10, 20_000);
  assert.equal([...got].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

/** The id of the latest session of client `pub` (its session file). */
function readSessionId(spool: string): string {
  return readSession(channelPaths(spool, 'pub').session)!.id;
}

test.run();
