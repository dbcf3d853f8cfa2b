/**
 * A durable client whose spool's disk fills: each publish that finds no room rejects with a
 * typed `LimitError` (not a raw ENOSPC, not a connection torn down with publishes "accepted"
 * into a memory hold and lost); nothing accepted is lost; once there is room again the same
 * connection appends the next publishes (the torn bytes of the refused batch are cut, so the hub
 * reads on past them).
 *
 * A full filesystem needs one of its own: a 2 MiB tmpfs mounted in a private mount namespace
 * (`unshare --mount`), which vanishes with the child. That takes root; elsewhere it is skipped.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/run-id.js';
import { Child, ChildSet, script } from '../../helpers/processes.js';
import { removeTmp } from '../../sync/cleanup.js';

const dir = tmpDir('spool-disk-full');
const children = new ChildSet();
test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

const canMount = process.getuid?.() === 0
  && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;

test('a full disk refuses publishes with LimitError, loses nothing accepted, and recovers', async () => {
  if (!canMount) {
    console.log('  skipped: needs root and unshare(1) to mount a small tmpfs');
    return;
  }
  const mnt = join(dir, 'small');
  mkdirSync(mnt, { recursive: true });
  const peer = script(import.meta.url, './disk-full-peer.js');
  const shell = 'mount -t tmpfs -o size=2m,mode=0700 tmpfs "$1" && exec "$2" "$3" "$1"';
  const child = children.add(new Child(spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', shell, 'sh', mnt, process.execPath, peer], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })));
  const line = await child.waitLine(/^\{/, 60_000);
  const r = JSON.parse(line) as { code: string | null; message: string | null; accepted: number; refused: number; after: number; lost: number };
  assert.ok(r.accepted > 0, 'some publishes fit before the disk filled');
  assert.is(r.code, 'ERR_UNIBUS_LIMIT', `a refused publish says why: ${r.message}`);
  assert.match(r.message ?? '', /ENOSPC/);
  assert.is(r.lost, 0, 'every accepted publish reached the hub');
  assert.is(r.after, 50, 'with room again, publishing goes on');
  assert.is((await child.waitExit(30_000)).code, 0);
});

test.run();
