/** A unix:// or memory:// user never loads koffi (the NATS client's laziness is tested in test/nats/). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnNode, script } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';

const probe = script(import.meta.url, './lazy-load-probe.js');

for (const url of [`unix:///tmp/${uniqueName('lazy')}.sock`, `memory://${uniqueName('lazy')}`]) {
  test(`a bus on ${url.split(':')[0]}: does not load koffi`, async () => {
    const child = spawnNode(probe, [url]);
    const { code } = await child.waitExit(30_000);
    assert.is(code, 0, child.stderr);
    assert.equal(child.lines, ['koffi=false']);
  });
}

test.run();
