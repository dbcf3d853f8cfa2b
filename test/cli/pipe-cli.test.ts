import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildSet, script } from '../helpers/processes.js';
import { isAlive } from '../../src/native/process.js';
import { until } from '../helpers/watchdog.js';
import { cli, cliPath } from './cli-helpers.js';

const children = new ChildSet();
test.after.each(() => children.killAll());
const publisher = script(import.meta.url, './pipe-publisher.js');

test('unibus hub pipe: --spawn runs sub and a publisher as pipe children; SIGINT ends them all', async () => {
  const hub = children.add(cli(['hub', 'pipe:',
    '--spawn', `${process.execPath} ${cliPath} sub pipe: x.y --count 3 --timeout 60`,
    '--spawn', `${process.execPath} ${publisher}`]));
  await hub.waitLine(/^listening pipe:/);
  // Both children write to the hub's stdout: they inherited it.
  const pidLine = await hub.waitLine(/^publisher pid \d+$/);
  const pubPid = Number(pidLine.split(' ').at(-1));
  await hub.waitLine(/"topic":"x\.y"/, 30_000);
  await until('three messages printed by the sub child', () => hub.lines.filter((l) => l.includes('"topic":"x.y"')).length >= 3, 30_000);
  const got = hub.lines.filter((l) => l.includes('"topic":"x.y"')).map((l) => JSON.parse(l).data.n as number);
  assert.equal(got, [...got].sort((a, b) => a - b), 'in order');
  assert.ok(isAlive(pubPid), 'the publisher runs until the hub ends');
  hub.kill('SIGINT');
  assert.is((await hub.waitExit(30_000)).code, 0, `hub exit: ${hub.stderr}`);
  await until('publisher ended with the hub', () => !isAlive(pubPid), 15_000);
});

test('--spawn with another scheme is a usage error', async () => {
  const hub = children.add(cli(['hub', 'memory://x', '--spawn', 'true']));
  const r = await hub.waitExit(30_000);
  assert.is.not(r.code, 0);
  assert.match(hub.stderr, /--spawn works only with pipe:/);
});

test.run();
