import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { ChildSet, script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';

const children = new ChildSet();
test.after.each(() => children.killAll());

test('examples/zero-copy: two consumers see every 1080p frame intact, with zero bytes copied; nothing left in /dev/shm', async () => {
  const name = uniqueName('zc-example');
  const run = children.add(spawnNode(script(import.meta.url, '../../examples/zero-copy/run.js'), ['40'],
    { UNIBUS_URL: `shm://${name}?pool=64MiB` }));
  const r = await run.waitExit(120_000);
  assert.is(r.code, 0, run.stderr);
  const consumers = run.lines.filter((l) => l.startsWith('consumer '));
  assert.is(consumers.length, 2, run.lines.join('\n'));
  for (const line of consumers) assert.match(line, /: 40 frames \(0 bad\), \d+ frames\/s, .* bytes copied: 0 \(ring traffic \d+ bytes\)$/);
  assert.match(run.lines.find((l) => l.startsWith('producer: ')) ?? '', /^producer: 40 frames of 6220800 bytes, \d+ frames\/s$/);
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing left in /dev/shm');
});

test.run();
