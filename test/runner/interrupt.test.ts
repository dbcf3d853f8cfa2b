/**
 * test/run.mjs interrupted (Ctrl-C, `timeout`, CI's cut): the test files it kills never close
 * their sysvmq hubs, and System V queues outlive their process. The runner then removes what a
 * next hub of each address would, for the hubs its run started. Runs the runner on the sysvmq
 * test file under a run prefix of its own and sends it SIGTERM while one of that file's hubs lives.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deadSysvmqHubs } from '../../src/cli/doctor/leftovers.js';
import { Child } from '../helpers/processes.js';
import { runId } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

const runner = fileURLToPath(new URL('../../../test/run.mjs', import.meta.url));

test('SIGTERM to the runner while a sysvmq hub of its run lives: no queue of that run is left', async () => {
  const nested = `${runId}n`;
  const child = new Child(spawn(process.execPath, [runner, 'transports/sysvmq/sysvmq.test'], {
    env: { ...process.env, UNIBUS_TEST_RUN: nested }, stdio: ['ignore', 'pipe', 'pipe'],
  }));
  try {
    // Hubs of the nested run have key files under /tmp/unibus-<nested>/.
    await until('a live hub of the nested run', () => deadSysvmqHubs(`unibus-${nested}/`).live > 0, 60_000, 5);
    child.proc.kill('SIGTERM');
    const end = await child.waitExit(60_000);
    assert.is(end.code, 143, child.lines.join('\n'));
    assert.equal(deadSysvmqHubs(`unibus-${nested}/`).dead.map((h) => h.what), [], child.lines.join('\n'));
  } finally {
    child.kill('SIGKILL');
  }
});

test.run();
