/** Closing an fd watcher whose readiness callback is already queued is safe under Deno (it segfaulted). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compiled, runUnder } from './run-under.js';

test('Deno: fd watchers closed while their callback is queued neither crash nor call back', async () => {
  const out = await runUnder('deno', compiled('runtimes/poll-close-probe'), { timeoutMs: 120_000, args: ['300'] });
  assert.match(out, /^ok 300 0$/m, out);
});

test.run();
