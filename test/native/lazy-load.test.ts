/**
 * A unix:// client or a memory:// user never loads koffi (the NATS client's laziness is tested in
 * test/nats/). A unix:// hub does, once: it reads each client's SO_PEERCRED (proven pid/uid).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import { spawnNode, script } from '../helpers/processes.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';

const probe = script(import.meta.url, './lazy-load-probe.js');

test('a client on unix: does not load koffi', async () => {
  const url = `unix://${tmpDir('lazy')}/hub.sock`;
  const hub = await Bus.listen(url);
  try {
    const child = spawnNode(probe, [url, 'client']);
    const { code } = await child.waitExit(30_000);
    assert.is(code, 0, child.stderr);
    assert.equal(child.lines, ['koffi=false']);
  } finally {
    await hub.close();
  }
});

test('a hub and a client on memory: do not load koffi', async () => {
  const child = spawnNode(probe, [`memory://${uniqueName('lazy')}`]);
  const { code } = await child.waitExit(30_000);
  assert.is(code, 0, child.stderr);
  assert.equal(child.lines, ['koffi=false']);
});

test.run();
