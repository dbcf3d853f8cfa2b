/**
 * Zero-copy over shm:// with real processes killed at the worst moments: a subscriber killed
 * while it holds every slot of the publisher's pool gives them back (the publisher goes on); a
 * publisher killed mid-stream still has what it published delivered; nothing torn is ever seen;
 * once everyone is gone every slot is free, so the hub removes the pool from /dev/shm.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../../src/transport-kit/conformance/watchdog.js';
import { checkPatterns } from './pattern-check.js';

const peer = script(import.meta.url, './zc-peer.js');
const children = new ChildSet();
const entries = (name: string): string[] => readdirSync('/dev/shm').filter((n) => n.includes(name));
const pubs = (lines: string[]): number[] => lines.filter((l) => l.startsWith('pub ')).map((l) => Number(l.slice(4)));

test.after.each(() => children.killAll());

test('kill -9 a subscriber holding every slot, then the publisher mid-stream: slots come back, published samples arrive, none torn, pool removed', async () => {
  const name = uniqueName('zc');
  // 1 MiB pool: 8 samples of 100 000 bytes (two 64 KiB blocks each).
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url);
  try {
    const { seen, torn } = checkPatterns(hub);
    await hub.flush();

    const holder = children.add(spawnNode(peer, ['holder', url]));
    await holder.waitLine(/^ready$/, 60_000);
    const publisher = children.add(spawnNode(peer, ['publisher', url]));
    await publisher.waitLine(/^ready$/, 60_000);
    // The holder keeps all 8 slots: the publisher's next loan waits.
    await holder.waitLine(/^held 8$/, 60_000);
    const stuckAt = Math.max(-1, ...pubs(publisher.lines));
    assert.ok(stuckAt <= 8, `the publisher waits for a slot (published up to ${stuckAt})`);

    holder.kill('SIGKILL');
    await holder.waitExit();
    // The hub cleared the dead holder's bits: the publisher gets slots again and goes on.
    await publisher.waitLine(/^pub 40$/, 60_000);

    publisher.kill('SIGKILL');
    await publisher.waitExit();
    const published = pubs(publisher.lines);
    await until('every sample published before the kill delivered', () => published.every((i) => seen.has(i)), 30_000);
    assert.is(torn(), 0, 'no torn sample');

    // Every slot free (no receiver bit left) and the publisher gone: the hub removes the pool.
    await until('pool removed from /dev/shm', () => entries(name).every((e) => !e.includes('~pool.')), 30_000);
  } finally {
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing of the hub left in /dev/shm');
});

test.run();
