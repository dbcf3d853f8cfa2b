/**
 * Issue 13 item 17: another local user pre-creates the object a hub is about to make (shm
 * announce FIFO, fifo:// directory, sysvmq key file, unix:// socket). The hub refuses with an
 * UnsafePathError naming the path and its owner, and leaves the other user's object alone; a
 * stale object of our own is cleared and made again. Needs root (to create a throwaway user).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as errors from '../../../src/errors.js';
import { mkfifo } from '../../../src/native/fds.js';
import { transportFor } from '../../../src/transports/registry.js';
import { runId, uniqueName } from '../../helpers/run-id.js';
import { rejectsWith } from '../../helpers/watchdog.js';

const isRoot = process.getuid?.() === 0;
const user = `ubx${process.pid.toString(36)}`;
const cleanups: Array<() => void> = [];

/** Runs a command as the throwaway user. */
function asUser(command: string, ...args: string[]): void {
  // cwd '/': the checkout may sit in a directory the other user cannot enter.
  execFileSync('runuser', ['-u', user, '--', command, ...args], { stdio: 'pipe', timeout: 20_000, cwd: '/' });
}

/** useradd/userdel lock /etc/passwd: another process may hold it for a moment. */
function retry(command: string, args: string[]): void {
  for (let attempt = 0; ; attempt++) {
    try {
      execFileSync(command, args, { stdio: 'pipe', timeout: 20_000 });
      return;
    } catch (err) {
      if (attempt >= 20) throw err;
      execFileSync('sleep', ['0.2']);
    }
  }
}

/** A sticky, world-writable directory (like /tmp) that the other user can plant files in. */
function sharedDir(): string {
  const dir = mkdtempSync(join('/tmp', `unibus-${runId}-own-`));
  chmodSync(dir, 0o1777);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The expected refusal: UnsafePathError (a PermissionDeniedError) naming the path and the user. */
async function refused(url: string, path: string): Promise<void> {
  // Looked up by name so that this file also runs (and fails for the right reason) on older code.
  const UnsafePathError = ((errors as Record<string, unknown>).UnsafePathError ?? errors.PermissionDeniedError) as typeof errors.PermissionDeniedError;
  const transport = await transportFor(url);
  const err = await rejectsWith(() => transport.listen(url), UnsafePathError) as errors.PermissionDeniedError & { ownerUid: number };
  assert.is(err.code, 'ERR_UNIBUS_PERMISSION');
  assert.match(err.message, `path=${path}`);
  assert.match(err.message, `(${user})`, 'names the owner');
  assert.is(err.ownerUid, statSync(path).uid);
  assert.ok(existsSync(path), 'the other user\'s object is left alone');
}

if (!isRoot) {
  console.log(`SKIP ownership tests: they need root to create a throwaway user (uid=${process.getuid?.()})`);
} else {
  test.before(() => retry('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]));
  test.after(() => {
    for (const c of cleanups.splice(0)) { try { c(); } catch { /* best effort */ } }
    retry('userdel', [user]);
  });

  test('shm://: an announce FIFO planted by another user is refused by name and owner (was EEXIST: mkfifo)', async () => {
    const name = uniqueName('own');
    const announce = `/dev/shm/unibus-shm.${name}~announce`;
    cleanups.push(() => rmSync(announce, { force: true }));
    asUser('mkfifo', '-m', '0666', announce);
    await refused(`shm://${name}`, announce);
    rmSync(announce);
    // A stale one of our own (a dead hub's) is cleared and made again.
    mkfifo(announce, 0o600);
    const hub = await (await transportFor(`shm://${name}`)).listen(`shm://${name}`);
    await hub.close();
    assert.not.ok(existsSync(announce), 'the hub removed its FIFO');
  });

  test('sysvmq://: a key file made by another user is refused; one of root or ours is used', async () => {
    const dir = sharedDir();
    const key = join(dir, 'app.key');
    asUser('touch', key);
    await refused(`sysvmq://${key}`, key);
    rmSync(key);
    execFileSync('touch', [key]); // ours (root): a user-made key file is fine
    const hub = await (await transportFor(`sysvmq://${key}`)).listen(`sysvmq://${key}`);
    await hub.close();
    assert.ok(existsSync(key), 'a key file the hub did not make is left in place');
  });

  test('fifo://: a directory of another user, or one of ours writable by others, is refused', async () => {
    const dir = sharedDir();
    const theirs = join(dir, 'theirs');
    asUser('mkdir', '-m', '0700', theirs);
    await refused(`fifo://${theirs}`, theirs);
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const transport = await transportFor(`fifo://${open}`);
    const err = await rejectsWith(() => transport.listen(`fifo://${open}`), errors.PermissionDeniedError);
    assert.match(err.message, /writable by others/);
    chmodSync(open, 0o700); // ours and private: a dead hub's directory, reused
    const hub = await transport.listen(`fifo://${open}`);
    await hub.close();
  });

  test('unix://: a socket file of another user is not replaced; a stale one of ours is', async () => {
    const dir = sharedDir();
    const path = join(dir, 'hub.sock');
    // Node leaves the socket file when it exits without closing the server.
    asUser(process.execPath, '-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`);
    await refused(`unix://${path}`, path);
    rmSync(path);
    execFileSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`]);
    const hub = await (await transportFor(`unix://${path}`)).listen(`unix://${path}`);
    await hub.close();
    assert.not.ok(existsSync(path));
  });
}

test.run();
