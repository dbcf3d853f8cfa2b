import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';

const children = new ChildSet();
const bases: string[] = [];
test.after.each(async () => {
  await children.killAll();
  for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
});

test('examples/pipe: the hub gets ten squares from its two workers, which exit with it', async () => {
  const hub = children.add(spawnNode(script(import.meta.url, '../../examples/pipe/hub.js')));
  const r = await hub.waitExit(60_000);
  assert.is(r.code, 0, hub.stderr);
  assert.is(hub.lines.filter((l) => /^\d+² = \d+ \(worker pid \d+\)$/.test(l)).length, 10);
  assert.ok(hub.lines.some((l) => l.startsWith('10² = 100 ')));
  const pids = new Set(hub.lines.filter((l) => l.includes('worker pid')).map((l) => l.split('pid ')[1]));
  // Which worker answers depends on when each joined the queue group: one or both.
  assert.ok(pids.size >= 1 && pids.size <= 2);
  assert.is(hub.lines.at(-1), 'workers exited: 0, 0');
});

test('examples/fifo: two clients publish, the hub prints them in order, SIGINT removes the dir', async () => {
  const base = mkdtempSync(join('/tmp', `${uniqueName('fifo-example')}-`));
  bases.push(base);
  const dir = join(base, 'bus');
  const url = `fifo://${dir}`;
  const hub = children.add(spawnNode(script(import.meta.url, '../../examples/fifo/hub.js'), [url]));
  await hub.waitLine(/^listening /);
  for (const name of ['alice', 'bob']) {
    const c = children.add(spawnNode(script(import.meta.url, '../../examples/fifo/client.js'), [url, name]));
    assert.is((await c.waitExit(30_000)).code, 0, c.stderr);
  }
  await hub.waitLine(/^chat\.bob: .*"line":3/);
  const chat = hub.lines.filter((l) => l.startsWith('chat.'));
  assert.equal(chat.map((l) => l.split(':')[0]), ['chat.alice', 'chat.alice', 'chat.alice', 'chat.bob', 'chat.bob', 'chat.bob']);
  hub.kill('SIGINT');
  assert.is((await hub.waitExit(30_000)).code, 0);
  assert.not.ok(existsSync(dir), 'directory removed');
});

test.run();
