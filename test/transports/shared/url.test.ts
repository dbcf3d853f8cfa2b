/**
 * Issue 13 item 14: one query-parameter check and one maxFrameSize range for every scheme,
 * through the library API (typed errors, nothing made).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidUrlError } from '../../../src/errors.js';
import { transportFor } from '../../../src/transports/registry.js';
import * as urls from '../../../src/transports/shared/url.js';
import { tmpDir, uniqueName } from '../../helpers/run-id.js';
import { rejectsWith } from '../../helpers/watchdog.js';

/** The documented range (MIN_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE), spelled out as the contract. */
const MIN_MAX_FRAME_SIZE = 4096;
const MAX_MAX_FRAME_SIZE = 2 ** 31 - 1;
const dir = tmpDir('url');
const bases: Record<string, string> = {
  unix: `unix://${join(dir, 'u.sock')}`,
  memory: `memory://${uniqueName('m')}`,
  fifo: `fifo://${join(dir, 'fifo')}`,
  file: `file://${join(dir, 'spool')}`,
  shm: `shm://${uniqueName('s')}`,
  sysvmq: `sysvmq://${join(dir, 'key')}`,
  pipe: 'pipe:',
};

test('every built-in scheme has a parameter list and refuses unknown parameters on listen and connect', async () => {
  for (const [scheme, base] of Object.entries(bases)) {
    const transport = await transportFor(base);
    for (const side of ['listen', 'connect'] as const) {
      if (scheme === 'pipe' && side === 'connect') continue; // a pipe: client needs a spawning hub
      const err = await rejectsWith(() => transport[side](`${base}?frob=1`), InvalidUrlError);
      assert.match(err.message, `unknown parameter "frob" (valid for ${scheme}: maxFrameSize`);
      assert.match(err.message, `${urls.QUERY_PARAMETERS?.[scheme]?.join(', ')})`);
    }
  }
  assert.equal(readdirSync(dir), [], 'nothing made');
});

test('maxFrameSize: out of range in the URL is InvalidUrlError, in code a RangeError; the bounds are accepted', async () => {
  for (const [scheme, base] of Object.entries(bases)) {
    const transport = await transportFor(base);
    for (const bad of ['0', '8', String(MIN_MAX_FRAME_SIZE - 1), '2GiB', '3GiB']) {
      const err = await rejectsWith(() => transport.listen(`${base}?maxFrameSize=${bad}`), InvalidUrlError);
      assert.match(err.message, `from ${MIN_MAX_FRAME_SIZE}`, `${scheme} ${bad}`);
    }
    for (const bad of [0, 8, 2 ** 32, 1.5]) {
      await rejectsWith(() => transport.listen(base, { maxFrameSize: bad }), RangeError);
    }
  }
  assert.equal(readdirSync(dir), [], 'nothing made');
  const unix = await transportFor(bases.unix!);
  for (const size of [MIN_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE]) {
    const hub = await unix.listen(`${bases.unix}?maxFrameSize=${size}`);
    const conn = await unix.connect(bases.unix!, { maxFrameSize: size });
    assert.is(conn.maxFrameSize, size);
    await conn.close();
    await hub.close();
  }
});

test('the parameter table covers every built-in scheme', () => {
  assert.equal(Object.keys(urls.QUERY_PARAMETERS ?? {}).sort(), Object.keys(bases).sort());
});

test.run();
