/**
 * Zero-copy samples that are not given back, with real processes: a subscriber that holds
 * samples past the hub's `maxHold` is dropped as a slow consumer (the hub reports it, sends
 * ERR_UNIBUS_SLOW_CONSUMER and closes its connection) and its samples go back to the publisher; a message dropped without
 * release() is given back by the receiver's FinalizationRegistry, with a warning. No timing is
 * asserted: the holder never releases, so any maxHold is crossed; the watchdogs are generous.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import type { BusEvent } from '../../src/bus/events.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';

const peer = script(import.meta.url, './zc-peer.js');
const children = new ChildSet();
const entries = (name: string): string[] => readdirSync('/dev/shm').filter((n) => n.includes(name));

test.after.each(() => children.killAll());

test('a subscriber holding samples past the hub\'s maxHold is a slow consumer: dropped, its slots come back, the publisher goes on', async () => {
  const name = uniqueName('zch');
  // 1 MiB pool: 8 samples of 100 000 bytes. The holder keeps all of them and never releases.
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url, { maxHold: 500 });
  const events: BusEvent[] = [];
  hub.events.subscribe((e) => events.push(e));
  try {
    const holder = children.add(spawnNode(peer, ['holder', url]));
    await holder.waitLine(/^ready$/, 60_000);
    const publisher = children.add(spawnNode(peer, ['publisher', url]));
    await publisher.waitLine(/^ready$/, 60_000);
    await holder.waitLine(/^held 8$/, 60_000);
    // Past maxHold the hub drops the holder: its bits are cleared, the publisher gets slots again.
    await publisher.waitLine(/^pub 40$/, 60_000);
    // The holder is told why, with the hub's typed error: a slow-consumer event, then the
    // disconnect carrying ERR_UNIBUS_SLOW_CONSUMER (not a bare "lost the hub").
    const gone = await holder.waitLine(/^event disconnected/, 60_000);
    assert.is(gone, 'event disconnected ERR_UNIBUS_SLOW_CONSUMER', `the holder's disconnect names the hub's error: ${holder.lines.join(' | ')}`);
    assert.ok(holder.lines.some((l) => /^event slow-consumer .*maxHold=500ms/.test(l)), `the holder got a slow-consumer event: ${holder.lines.join(' | ')}`);
    // Its subscription (no reconnect) ends with that error, not a PeerGoneError about a lost hub.
    assert.is(await holder.waitLine(/^subscription error/, 60_000), 'subscription error ERR_UNIBUS_SLOW_CONSUMER');
    const slow = events.find((e) => e.type === 'slow-consumer');
    assert.ok(slow && slow.type === 'slow-consumer' && /held a zero-copy sample longer than maxHold=500ms/.test(slow.detail),
      `slow-consumer event naming maxHold: ${JSON.stringify(slow)}`);
    const left = events.find((e) => e.type === 'peer-left' && e.reason === 'slow-consumer');
    assert.ok(left, 'peer-left says slow-consumer');
    assert.is(hub.stats().slowConsumers, 1, 'one slow consumer: the holder, not the publisher');
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing of the hub left in /dev/shm');
});

test('a zero-copy message dropped without release() is given back when collected, with a warning', async () => {
  const name = uniqueName('zcf');
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url); // default maxHold (30 s): only the backstop can free the slots here
  try {
    const forgetter = children.add(spawnNode(peer, ['forgetter', url], {}, ['--expose-gc']));
    await forgetter.waitLine(/^ready$/, 60_000);
    const publisher = children.add(spawnNode(peer, ['publisher', url]));
    await publisher.waitLine(/^ready$/, 60_000);
    // 8 slots: the publisher gets past 40 only if collected messages gave their slots back.
    await publisher.waitLine(/^pub 40$/, 60_000);
    await forgetter.waitLine(/^warning a zero-copy sample was garbage-collected without release\(\)/, 60_000);
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing of the hub left in /dev/shm');
});

test('a message released while another subscription of the bus still holds the sample: collecting it neither warns nor frees the sample', async () => {
  const name = uniqueName('zct');
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url);
  try {
    const twice = children.add(spawnNode(peer, ['twice', url], {}, ['--expose-gc']));
    await twice.waitLine(/^ready$/, 60_000);
    const publisher = children.add(spawnNode(peer, ['publisher', url]));
    await publisher.waitLine(/^ready$/, 60_000);
    // The second subscription keeps all 8 slots; the first released its messages, which are
    // garbage now. Twenty collections later the 8 are still held and nothing warned.
    await twice.waitLine(/^gc \d+ 8$/, 60_000);
    const from = twice.lines.length;
    await twice.waitLine(new RegExp(`^gc ${Number(/^gc (\d+)/.exec(twice.lines.findLast((l) => l.startsWith('gc '))!)![1]) + 20} `), 60_000);
    const after = twice.lines.slice(from);
    assert.equal(after.filter((l) => l.startsWith('warning')), [], 'no warning for released messages');
    assert.ok(after.filter((l) => l.startsWith('gc ')).every((l) => l.endsWith(' 8')), `the 8 samples stay held: ${after.join(' | ')}`);
    assert.ok(Math.max(-1, ...publisher.lines.filter((l) => l.startsWith('pub ')).map((l) => Number(l.slice(4)))) < 8, 'the publisher still waits for a slot');
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(entries(name), [], 'nothing of the hub left in /dev/shm');
});

test.run();
