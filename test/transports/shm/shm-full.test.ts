/**
 * A full /dev/shm (Docker's is 64 MiB) is a LimitError from connect() and loan(), never a SIGBUS:
 * segments are reserved with fallocate when made. Runs in a private mount namespace with a 3 MiB
 * tmpfs on /dev/shm (needs root and unshare; skipped otherwise).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { Child, ChildSet, script } from '../../helpers/processes.js';
import { within } from '../../helpers/watchdog.js';
import { uniqueName } from '../../helpers/run-id.js';

const peer = script(import.meta.url, './shm-full-peer.js');
const children = new ChildSet();
test.after.each(() => children.killAll());

const canUnshare = process.getuid?.() === 0
  && spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status === 0;

test('a /dev/shm too small for a ring or a pool: typed errors, the hub serves on, nothing left', async () => {
  if (!canUnshare) {
    console.log('skipped: needs root and unshare --mount');
    return;
  }
  const shell = 'mount -t tmpfs -o size=3m tmpfs /dev/shm && exec "$0" "$@"';
  const child = children.add(new Child(spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', shell,
    process.execPath, peer, uniqueName('shmfull')], { stdio: ['pipe', 'pipe', 'pipe'] })));
  const end = await within(60_000, 'the peer in its namespace', child.exited);
  assert.equal({ end, lines: child.lines }, {
    end: { code: 0, signal: null },
    lines: [
      'big ERR_UNIBUS_LIMIT shared memory space',
      'small 100',
      'loan ERR_UNIBUS_LIMIT shared memory space',
      'still serving',
      'left []',
    ],
  }, child.stderr);
});

test.run();
