/** The quick-start example runs unchanged under Deno and Bun, as the README says. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { compiled, runUnder, type RuntimeName } from './run-under.js';
import { uniqueName } from '../helpers/run-id.js';

for (const runtime of ['deno', 'bun'] as RuntimeName[]) {
  test(`quickstart over unix:// under ${runtime}`, async () => {
    const path = `/tmp/${uniqueName('qs')}.sock`;
    const out = await runUnder(runtime, compiled('../examples/quickstart/main'), { timeoutMs: 90_000, env: { UNIBUS_URL: `unix://${path}` } });
    assert.is(out.split('\n').filter((l) => l.startsWith('hub: subscriber-')).length, 3, out);
    assert.match(out, /publisher exited 0, subscriber exited 0/);
    assert.not.ok(existsSync(path), 'socket removed');
  });
}

test.run();
