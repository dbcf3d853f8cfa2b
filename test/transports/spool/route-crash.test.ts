// A hub that routes a frame from one spool client to another and is SIGKILLed right after
// handling it, before the routed copy reached the other client's log, must not lose it: the
// frame counts as handled (committed) only once its copy is written, so the next hub routes it
// again. (Committing at once lost it.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { tmpDir } from '../../helpers/run-id.js';
import { ChildSet, script, spawnNode } from '../../helpers/processes.js';
import { until, within } from '../../helpers/watchdog.js';
import { removeTmp } from '../../sync/cleanup.js';

const dir = tmpDir('route-crash');
const routeHub = script(import.meta.url, './route-hub.js');
const children = new ChildSet();
const enc = (s: string): Uint8Array => Buffer.from(s);

test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

/** A `b` client: says hello, and collects the numbers routed to it. */
async function joinAsB(url: string, got: Set<number>): Promise<Connection> {
  const b = await spoolTransport.connect(`${url}?consumer=b`);
  b.consume((f) => got.add(Number(Buffer.from(f).toString())));
  await b.send(enc('hello:b'));
  return b;
}

test('a frame routed by a hub SIGKILLed before the copy was written reaches its subscriber', async () => {
  const url = `file://${join(dir, 'spool')}`;
  const got = new Set<number>();
  const hub1 = children.add(spawnNode(routeHub, [url, '5']));
  await hub1.waitLine(/^listening$/);
  const b1 = await joinAsB(url, got);
  await hub1.waitLine(/^b joined$/);
  const a = await spoolTransport.connect(`${url}?consumer=a`);
  a.consume(() => undefined);
  // One frame per hub turn: each of 0-4 is sent once the one before reached b, so frame 5
  // arrives alone and its kill lands between its handling and its copy's append.
  for (let i = 0; i < 10; i++) {
    await a.send(enc(String(i)));
    if (i < 5) await until(`frame ${i} routed`, () => got.has(i), 10_000);
  }
  await within(10_000, 'the hub kills itself at frame 5', hub1.exited);
  await until('frames 0-4 routed before the kill', () => [0, 1, 2, 3, 4].every((n) => got.has(n)), 10_000);
  assert.not.ok(got.has(5), 'frame 5 was not written before the kill (the window this test is about)');

  // The next hub ends the old sessions; b joins again and gets what the dead hub did not route.
  const hub2 = children.add(spawnNode(routeHub, [url, '-1']));
  await hub2.waitLine(/^listening$/);
  await within(10_000, 'b\'s old session ends', b1.closed);
  const b2 = await joinAsB(url, got);
  await until('every frame reached b', () => got.size === 10, 20_000);
  assert.equal([...got].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await b2.close();
  await a.close();
});

test.run();
