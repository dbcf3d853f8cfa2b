/**
 * On another OS the kernel transports fail with a clear UnsupportedError, while memory:// still
 * works (nats:// needs no kernel transport either). The platform is faked in this process only.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/bus/bus.js';
import { UnsupportedError } from '../../src/errors.js';
import { uniqueName } from '../helpers/run-id.js';
import { rejectsWith } from '../helpers/watchdog.js';

const real = Object.getOwnPropertyDescriptor(process, 'platform')!;

test.before(() => { Object.defineProperty(process, 'platform', { value: 'darwin', configurable: true }); });
test.after(() => { Object.defineProperty(process, 'platform', real); });

test('kernel transports refuse with UnsupportedError naming the platform', async () => {
  for (const url of ['unix:///tmp/x.sock', 'pipe:', 'fifo:///tmp/x', 'sysvmq://0x1234', 'shm://x']) {
    const err = await rejectsWith(() => Bus.listen(url), UnsupportedError);
    assert.match(err.message, /needs Linux; this is platform=darwin/);
  }
});

test('memory:// still works', async () => {
  const url = `memory://${uniqueName('other-os')}`;
  const hub = await Bus.listen(url);
  const got: unknown[] = [];
  hub.subscribe('a').subscribe((m) => got.push(m.data));
  await hub.flush();
  await hub.publish('a', 1);
  await hub.flush();
  assert.equal(got, [1]);
  await hub.close();
});

test('package.json installs on every OS (no "os" field: the checks above are how other OSes fail) and states the Node engines', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    os?: string[]; engines: { node: string };
  };
  assert.is(pkg.os, undefined);
  assert.match(pkg.engines.node, />=\s*20/);
});

test.run();
