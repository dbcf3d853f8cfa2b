/**
 * A publisher killed after its first loan and before its first publish: the hub had never seen
 * its pool, so the pool (64 MiB by default) stayed in /dev/shm for as long as the hub lived. Real
 * processes SIGKILLed, a real hub, real /dev/shm entries.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../../src/transport-kit/conformance/watchdog.js';

const loaner = script(import.meta.url, './loaner.js');
const children = new ChildSet();
const pools = (name: string): string[] => readdirSync('/dev/shm').filter((n) => n.includes(name) && n.includes('~pool.'));

test.after.each(() => children.killAll());

test('the pool of a publisher killed before its first publish is removed by the hub; a live one\'s stays', async () => {
  const name = uniqueName('zu');
  const hub = await Bus.listen(`shm://${name}?pool=1MiB`);
  try {
    const live = children.add(spawnNode(loaner, [`shm://${name}?pool=1MiB`]));
    await live.waitLine(/^loaned$/, 60_000);
    const livePool = pools(name);
    assert.is(livePool.length, 1, 'the live publisher made its pool');
    const doomed = children.add(spawnNode(loaner, [`shm://${name}?pool=1MiB`]));
    await doomed.waitLine(/^loaned$/, 60_000);
    assert.is(pools(name).length, 2);
    doomed.kill('SIGKILL');
    await doomed.waitExit();
    await until('the dead publisher\'s pool removed', () => pools(name).length === 1, 30_000);
    assert.equal(pools(name), livePool, 'the live publisher keeps its pool');
  } finally {
    await hub.close();
  }
  assert.equal(pools(name), [], 'the hub\'s close removes the rest');
});

test.run();
