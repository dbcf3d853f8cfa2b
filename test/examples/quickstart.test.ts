/** The quick-start example runs over every cross-process transport with only UNIBUS_URL changed. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtures } from '../conformance/fixtures/index.js';
import { script, spawnNode } from '../helpers/processes.js';

const main = script(import.meta.url, '../../examples/quickstart/main.js');

for (const scheme of Object.keys(fixtures)) {
  test(`quickstart over ${scheme}:`, async () => {
    const fixture = await fixtures[scheme]!();
    if (!fixture.capabilities.crossProcess) return; // its peers are processes
    const url = fixture.url('quickstart');
    const child = spawnNode(main, [], { UNIBUS_URL: url });
    const { code } = await child.waitExit(60_000);
    assert.is(code, 0, child.stderr);
    assert.is(child.lines.filter((l) => l.startsWith('hub: subscriber-')).length, 3, child.lines.join('\n'));
    assert.ok(child.lines.some((l) => /publisher exited 0, subscriber exited 0/.test(l)), child.lines.join('\n'));
    assert.equal(await fixture.leftovers(url), []);
  });
}

test.run();
