/** Graceful shutdown: first signal runs the closers newest first and exits 0; a second exits now. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { script, spawnNode } from '../helpers/processes.js';

const fixture = script(import.meta.url, './fixtures/shutdown-closers.js');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`the first ${signal} runs every closer, newest first, and exits 0`, async () => {
    const child = spawnNode(fixture);
    try {
      await child.waitLine(/^ready$/);
      child.kill(signal);
      const { code } = await child.waitExit();
      assert.is(code, 0, child.stderr);
      assert.equal(child.lines.slice(1), ['close second-registered', 'close first-registered']);
    } finally {
      child.kill('SIGKILL');
    }
  });
}

test('a second SIGINT while a closer hangs exits at once with 130', async () => {
  const child = spawnNode(fixture, ['stuck']);
  try {
    await child.waitLine(/^ready$/);
    child.kill('SIGINT');
    await child.waitLine(/^close second-registered$/);
    child.kill('SIGINT');
    const { code } = await child.waitExit();
    assert.is(code, 130);
    assert.not.ok(child.lines.includes('close first-registered'));
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
