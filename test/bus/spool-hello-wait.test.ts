/**
 * `file://`: a Bus's handshake with a hub that is alive but slow to read the spool (a loaded
 * machine, a restarted hub still busy) waits on instead of failing with "Timed out: waiting for
 * the hub HELLO" after one `helloTimeout` (5 s); with no hub at all it still fails, never hangs.
 * The slow hub is simulated with SIGSTOP over more than one helloTimeout.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Bus } from '../../src/bus/bus.js';
import { TimeoutError } from '../../src/errors.js';
import { ChildSet, type Child } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { rejectsWith, until, within } from '../helpers/watchdog.js';
import { removeTmp } from '../sync/cleanup.js';
import { startCliHub } from '../cli/cli-helpers.js';

const dir = tmpDir('hello-wait');
const children = new ChildSet();
const open: Bus[] = [];

test.after(async () => {
  for (const b of open.splice(0).reverse()) await b.close();
  await children.killAll();
  removeTmp(dir);
});

const hub = (url: string): Promise<Child> => startCliHub(children, url);

test('a hub that answers only after more than helloTimeout: connect waits for it', async () => {
  const url = `file://${join(dir, 'slow')}`;
  const h = await hub(url);
  h.kill('SIGSTOP');
  let settled = false;
  const connecting = Bus.connect(`${url}?consumer=late`).finally(() => { settled = true; });
  connecting.catch(() => undefined);
  // Longer than one helloTimeout (5 s): the old client gave up here.
  await new Promise((r) => setTimeout(r, 7000));
  assert.not.ok(settled && (await connecting.then(() => false, () => true)), 'connect failed while the hub was alive');
  h.kill('SIGCONT');
  const bus = await within(60_000, 'connect once the hub answers', connecting);
  open.push(bus);
  const got: number[] = [];
  bus.subscribe('w').subscribe((m) => got.push(m.data as number));
  await bus.flush();
  await bus.publish('w', 1);
  await until('its own message back', () => got.length === 1, 20_000);
});

test('no hub at all: connect fails with TimeoutError, it does not hang', async () => {
  const url = `file://${join(dir, 'none')}`;
  await within(30_000, 'connect to a spool with no hub', rejectsWith(() => Bus.connect(`${url}?consumer=alone`), TimeoutError));
});

test.run();
