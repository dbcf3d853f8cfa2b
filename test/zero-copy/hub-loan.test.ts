/**
 * The hub's own bus loans samples too: they must go through the router's sample routing (holder
 * bits set before forwarding, the slot reused only once the subscriber released it), whatever
 * fast path the hub's other publishes take. A real subscriber process checks every sample.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';

const peer = script(import.meta.url, './zc-peer.js');
const children = new ChildSet();

test.after.each(() => children.killAll());

test('samples the hub loans reach a zero-copy subscriber process whole, each slot reused only after release', async () => {
  const name = uniqueName('zchl');
  // 8 slots of 100 000 bytes: 400 samples reuse every slot 50 times.
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url);
  try {
    const checker = children.add(spawnNode(peer, ['checker', url]));
    await checker.waitLine(/^ready$/, 60_000);
    for (let i = 0; i < 400; i++) {
      const s = await hub.loan('z.frame', 100_000, { timeout: 60_000 });
      const d = s.data;
      new DataView(d.buffer, d.byteOffset).setUint32(0, i, true);
      for (let k = 4; k < d.length; k++) d[k] = (i * 31 + k) & 255;
      await s.publish();
    }
    assert.is(await checker.waitLine(/^got 400 /, 60_000), 'got 400 bad 0');
  } finally {
    await children.killAll();
    await hub.close();
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing of the hub left in /dev/shm');
});

test.run();
