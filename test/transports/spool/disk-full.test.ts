/**
 * A durable client whose spool's disk fills: each publish that finds no room rejects with a
 * typed `LimitError` (not a raw ENOSPC, not a connection torn down with publishes "accepted"
 * into a memory hold and lost); nothing accepted is lost; once there is room again the same
 * connection appends the next publishes (the torn bytes of the refused batch are cut, so the hub
 * reads on past them).
 *
 * And a subscriber whose `down` log's disk fills: the hub keeps what it routed and tries again
 * as the subscriber reads (it used to end the subscriber's session at the hub and lose it all).
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

/** A tmpfs can be mounted in a private mount namespace here (root, and no sandbox forbids it). */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = join(dir, 'probe');
  mkdirSync(probe, { recursive: true });
  return spawnSync('unshare', ['--mount', '--propagation', 'private', 'mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
}
const canMount = canMountTmpfs();

/** A test that needs a small filesystem of its own; skipped (and says so) where none can be mounted. */
function onSmallDisk(name: string, body: () => Promise<void>): void {
  test(name, async () => {
    if (!canMount) {
      console.log('  skipped: needs root and unshare(1) to mount a small tmpfs');
      return;
    }
    await body();
  });
}

interface Outcome { code: string | null; message: string | null; accepted: number; refused: number; after: number; lost: number }

/** Runs disk-full-peer.js in `mode` in a private mount namespace; its JSON line. */
async function runPeer(mode: 'up' | 'down' | 'hubkill'): Promise<Outcome> {
  const work = join(dir, mode);
  mkdirSync(work, { recursive: true });
  const peer = script(import.meta.url, './disk-full-peer.js');
  const child = children.add(new Child(spawn('unshare', ['--mount', '--propagation', 'private', process.execPath, peer, mode, work], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })));
  const line = await child.waitLine(/^\{/, 90_000);
  assert.is((await child.waitExit(30_000)).code, 0);
  return JSON.parse(line) as Outcome;
}

onSmallDisk('a client\'s full disk refuses publishes with LimitError, loses nothing accepted, and recovers', async () => {
  const r = await runPeer('up');
  assert.ok(r.accepted > 0, 'some publishes fit before the disk filled');
  assert.is(r.code, 'ERR_UNIBUS_LIMIT', `a refused publish says why: ${r.message}`);
  assert.match(r.message ?? '', /ENOSPC/);
  assert.is(r.lost, 0, 'every accepted publish reached the subscriber');
  assert.is(r.after, 50, 'with room again, publishing goes on');
});

onSmallDisk('a subscriber\'s full down log makes the hub wait for room, not drop what it routed', async () => {
  const r = await runPeer('down');
  assert.is(r.refused, 0, `the publisher's disk had room: ${r.message}`);
  assert.is(r.accepted, 3000);
  assert.is(r.lost, 0, 'every accepted publish reached the subscriber through its small disk');
});

onSmallDisk('a hub killed while it waits for room in a subscriber\'s log: the next hub delivers it all', async () => {
  const r = await runPeer('hubkill');
  assert.is(r.accepted, 1000);
  assert.is(r.lost, 0, 'what the killed hub had not appended is routed again by the next one');
});

test.run();
