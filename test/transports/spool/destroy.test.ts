/** destroySpool: the only way spool data is deleted, refused while the spool is in use. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../../src/bus/bus.js';
import { HubRunningError } from '../../../src/errors.js';
import { destroySpool } from '../../../src/transports/spool/destroy.js';
import { tmpDir } from '../../helpers/run-id.js';
import { rejectsWith } from '../../helpers/watchdog.js';

test('a spool survives close(); destroySpool refuses while a hub lives, then deletes it', async () => {
  const dir = join(tmpDir('destroy'), 'spool');
  const url = `file://${dir}`;
  const hub = await Bus.listen(url);
  const bus = await Bus.connect(`${url}?consumer=keeper`);
  await bus.publish('kept', 1);
  await bus.flush();
  await rejectsWith(() => destroySpool(url), HubRunningError);
  await bus.close();
  await hub.close();
  assert.ok(existsSync(dir), 'durable data outlives every process');
  await destroySpool(url);
  assert.not.ok(existsSync(dir));
  await destroySpool(url); // idempotent
});

test.run();
