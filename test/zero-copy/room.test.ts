/**
 * A loan that waits for a full pool is told when a run is freed (docs/protocol.md, "Zero-copy
 * samples": the pool's `waiting` word and the `_ZC.<bus id>.room` notice) instead of finding it at
 * its next 1 ms poll: by a receiver process that releases, and by the hub when nobody took the
 * sample. Counts, not speeds: one notice per wait at most, every sample whole.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const peer = script(import.meta.url, './zc-peer.js');
const children = new ChildSet();

test.after.each(() => children.killAll());

/** Sample `i` as the checker peer expects it: u32 i, then a pattern of i. */
function fill(d: Uint8Array, i: number): void {
  new DataView(d.buffer, d.byteOffset).setUint32(0, i, true);
  for (let k = 4; k < d.length; k++) d[k] = (i * 31 + k) & 255;
}

test('room: a receiver process that frees the only slot tells the waiting loan; 100 samples whole, at most one notice per wait', async () => {
  const name = uniqueName('zcroom');
  const url = `shm://${name}?pool=64KiB`; // one 64 KiB block: every loan after the first waits
  const hub = await Bus.listen(url);
  try {
    const checker = children.add(spawnNode(peer, ['checker', url]));
    await checker.waitLine(/^ready$/, 60_000);
    const spy = await Bus.connect(url, { reconnect: false });
    let notices = 0;
    spy.subscribe('_ZC.*.room').subscribe(() => { notices++; });
    await spy.flush();
    const pub = await Bus.connect(url, { reconnect: false });
    let waited = 0;
    for (let i = 0; i < 100; i++) {
      let s = pub.tryLoan('z.frame', 60_000);
      if (s === undefined) {
        waited++;
        s = await within(60_000, `loan ${i}`, pub.loan('z.frame', 60_000, { timeout: 60_000 }));
      }
      fill(s.data, i);
      await s.publish();
    }
    await checker.waitLine(/^got 100 bad 0$/, 60_000);
    await spy.flush();
    await pub.flush();
    // Every wait but the ones the publisher's own retry ended (a release just before it raised
    // the waiting word) was ended by the checker's notice; never more than one per wait.
    await until('notices', () => notices > 0, 30_000);
    assert.ok(notices <= waited, `${notices} notices for ${waited} waits`);
    await pub.close();
    await spy.close();
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing of the hub left in /dev/shm');
});

test('room: samples nobody subscribed to are freed by the hub, which tells the publisher; 50 loans through one slot', async () => {
  const name = uniqueName('zcroomhub');
  const url = `shm://${name}?pool=64KiB`;
  const hub = await Bus.listen(url);
  try {
    const pub = await Bus.connect(url, { reconnect: false });
    let notices = 0;
    pub.subscribe('_ZC.*.room').subscribe(() => { notices++; });
    await pub.flush();
    let waited = 0;
    for (let i = 0; i < 50; i++) {
      let s = pub.tryLoan('nobody.listens', 1000);
      if (s === undefined) {
        waited++;
        s = await within(60_000, `loan ${i}`, pub.loan('nobody.listens', 1000, { timeout: 60_000 }));
      }
      s.data[0] = i;
      await s.publish();
    }
    await pub.flush();
    await until('notices', () => notices > 0, 30_000);
    assert.ok(notices <= waited, `${notices} notices for ${waited} waits`);
    await pub.close();
  } finally {
    await hub.close();
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing of the hub left in /dev/shm');
});

test('room: a holder killed with -9 while the publisher waits: the hub clears its bit and tells the publisher, whose loan then succeeds', async () => {
  const name = uniqueName('zcroomkill');
  const url = `shm://${name}?pool=64KiB`;
  const hub = await Bus.listen(url);
  try {
    const holder = children.add(spawnNode(peer, ['holder', url]));
    await holder.waitLine(/^ready$/, 60_000);
    const pub = await Bus.connect(url, { reconnect: false });
    let notices = 0;
    pub.subscribe('_ZC.*.room').subscribe(() => { notices++; });
    await pub.flush();
    const first = await pub.loan('z.frame', 60_000, { timeout: 60_000 });
    fill(first.data, 0);
    await first.publish();
    await holder.waitLine(/^held 1$/, 60_000);
    // The only slot is held: this loan waits until the holder is gone.
    const waiting = pub.loan('z.frame', 60_000, { timeout: 60_000 });
    assert.is(pub.tryLoan('z.frame', 60_000), undefined, 'the pool is full');
    holder.kill('SIGKILL');
    const s = await within(60_000, 'the waiting loan', waiting);
    s.release();
    await until('the hub told the publisher', () => notices > 0, 30_000);
    assert.is(notices, 1, 'one notice for the one wait');
    await pub.close();
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing of the hub left in /dev/shm');
});

test.run();
