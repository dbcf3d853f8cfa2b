/**
 * `file://` refuses a spool directory that is not this user's alone (item 17): pre-created
 * world-writable, owned by another user, or a symlink. Hub and client both check, with the
 * ownership check every transport uses (UnsafePathError, a PermissionDeniedError), the error
 * names the path, its owner and its mode, and nothing is made in (or through) such a directory.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';
import { InvalidUrlError, PermissionDeniedError } from '../../../src/errors.js';
import { tmpDir } from '../../helpers/run-id.js';
import { rejectsWith } from '../../helpers/watchdog.js';
import { removeTmp } from '../../sync/cleanup.js';

const dir = tmpDir('spool-dir');
test.after(() => removeTmp(dir));

test('a pre-created world-writable spool directory is refused by the hub and by clients', async () => {
  const spool = join(dir, 'open');
  mkdirSync(spool);
  chmodSync(spool, 0o777);
  for (const attempt of [() => spoolTransport.listen(`file://${spool}`), () => spoolTransport.connect(`file://${spool}?consumer=c`)]) {
    const err = await rejectsWith(attempt, PermissionDeniedError);
    assert.is(err.code, 'ERR_UNIBUS_PERMISSION');
    assert.match(err.message, `path=${spool}`);
    assert.match(err.message, 'mode=0777');
    assert.match(err.message, `owner=${process.getuid!()}`);
    assert.match(err.message, 'writable by others');
  }
  assert.not.ok(existsSync(join(spool, 'hub.lock')), 'no lock made in it');
  assert.not.ok(existsSync(join(spool, 'channels')), 'no channels/ directory made in it');
});

test('a world-writable channels/ directory inside a private spool is refused', async () => {
  const spool = join(dir, 'channels-open');
  mkdirSync(join(spool, 'channels'), { recursive: true, mode: 0o700 });
  chmodSync(join(spool, 'channels'), 0o733);
  const err = await rejectsWith(() => spoolTransport.listen(`file://${spool}`), PermissionDeniedError);
  assert.match(err.message, `path=${join(spool, 'channels')}`);
  assert.match(err.message, 'mode=0733');
});

test('a spool directory owned by another user is refused, naming its owner', async () => {
  if (process.getuid!() !== 0) return; // only root can give a directory away
  const spool = join(dir, 'theirs');
  mkdirSync(spool, { mode: 0o700 });
  chownSync(spool, 65534, 65534);
  const err = await rejectsWith(() => spoolTransport.listen(`file://${spool}`), PermissionDeniedError);
  assert.match(err.message, 'owned by another user, uid=65534');
  assert.match(err.message, `path=${spool}`);
  assert.match(err.message, 'mode=0700');
});

test('a symlink in place of the spool directory is refused', async () => {
  const real = join(dir, 'real');
  mkdirSync(real, { mode: 0o700 });
  const link = join(dir, 'link');
  symlinkSync(real, link);
  await rejectsWith(() => spoolTransport.listen(`file://${link}`), InvalidUrlError);
  await rejectsWith(() => spoolTransport.connect(`file://${link}?consumer=c`), InvalidUrlError);
  assert.not.ok(existsSync(join(real, 'channels')), 'nothing made through the symlink');
});

test('a file in place of the spool directory is an InvalidUrlError, not a bare system error', async () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const err = await rejectsWith(() => spoolTransport.listen(`file://${file}`), InvalidUrlError);
  assert.match(err.message, `path exists and is not a directory: path=${file}`);
});

test('a private spool directory made by the hub is accepted', async () => {
  const hub = await spoolTransport.listen(`file://${join(dir, 'fine')}`);
  await hub.close();
});

test.run();
