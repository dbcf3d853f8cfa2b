import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { compiled, runUnder } from './run-under.js';
import { refused } from './support.js';
import { uniqueName } from '../helpers/run-id.js';

test('Bun: each unsupported scheme fails at listen and connect with UnsupportedError naming Bun and the feature; no panic, nothing left', async () => {
  const tag = uniqueName('bunref');
  const schemes = Object.keys(refused.bun);
  const out = await runUnder('bun', compiled('runtimes/unsupported-probe'), { timeoutMs: 60_000, args: [tag, ...schemes] });
  const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { scheme: string; side: string; code: string; message: string });
  assert.is(lines.length, schemes.length * 2, out);
  for (const { scheme, side, code, message } of lines) {
    assert.is(code, 'ERR_UNIBUS_UNSUPPORTED', `${scheme} ${side}: ${message}`);
    assert.match(message, /bun \d/, message);
    assert.ok(message.includes(refused.bun[scheme]!), `${scheme} ${side} names ${refused.bun[scheme]}: ${message}`);
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(tag)), []);
  assert.equal(readdirSync('/tmp').filter((n) => n.includes(tag)), []);
  assert.not.ok(existsSync(`/tmp/${tag}-fifo`));
});

test.run();
