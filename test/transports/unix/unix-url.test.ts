/** Issue 13 item 13: a unix:// path longer than sun_path is a typed error on listen and connect. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidUrlError } from '../../../src/errors.js';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import { tmpDir } from '../../helpers/run-id.js';
import { rejectsWith } from '../../helpers/watchdog.js';

/** sun_path: 108 bytes including the NUL (Linux). */
const SUN_PATH_BYTES = 108;

test('a socket path of 108 bytes or more is refused before anything is bound; 107 works', async () => {
  const dir = tmpDir('ulong');
  const pad = (bytes: number) => join(dir, 'x'.repeat(bytes - dir.length - 1));
  for (const bytes of [SUN_PATH_BYTES, SUN_PATH_BYTES + 1, 300]) {
    const url = `unix://${pad(bytes)}`;
    const err = await rejectsWith(() => unixTransport.listen(url), InvalidUrlError);
    assert.match(err.message, `socket path is ${bytes} bytes`);
    await rejectsWith(() => unixTransport.connect(url), InvalidUrlError);
  }
  // Multi-byte characters count in bytes, as the kernel counts them.
  const wide = `unix://${join(dir, 'é'.repeat(60))}`;
  await rejectsWith(() => unixTransport.listen(wide), InvalidUrlError);
  assert.equal(readdirSync(dir), [], 'no truncated socket file');
  const url = `unix://${pad(SUN_PATH_BYTES - 1)}`;
  const hub = await unixTransport.listen(url);
  const conn = await unixTransport.connect(url);
  await conn.close();
  await hub.close();
  assert.equal(readdirSync(dir), []);
});

test.run();
