/**
 * shm:// with subscribers of another user (`allowOtherUsers`, hub `mode: 0o666`), run as
 * `nobody`: such a subscriber connects (the announce FIFO and bells get the mode asked for, not
 * the umask's), and a zero-copy subscriber of another user, which can never map the publisher's
 * 0600 pool, gets every sample as a copy instead of a lane: nothing lost, no slot held, the
 * publisher's loans go on. Needs root to start a process as another user; skipped otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { ChildSet, script } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { spawnAs, whyNot } from '../policy/users.js';

const NOBODY = { name: 'nobody', uid: 65534, gid: 65534 };
const STRANGER = script(import.meta.url, './stranger.js');
const children = new ChildSet();
test.after.each(() => children.killAll());

/** More samples than the pool has slots: a held slot per sample would stop the publisher. */
const SAMPLES = 24;

const skip = whyNot([process.execPath, STRANGER]);
if (skip) {
  test(`other-user zero-copy SKIPPED: ${skip}`, () => console.log(`SKIP test/zero-copy/other-user: ${skip}`));
} else {
  test('subscribers of another user, copy and zero-copy, get every loaned sample whole; the pool never fills', async () => {
    const name = uniqueName('zcuser');
    const url = `shm://${name}?pool=256KiB`; // 4 slots of 64 KiB
    const hub = await Bus.listen(url, { allowOtherUsers: true, mode: 0o666 });
    const pub = await Bus.connect(url);
    try {
      const copy = children.add(spawnAs(NOBODY, STRANGER, [url, 'copy', String(SAMPLES)]));
      const zero = children.add(spawnAs(NOBODY, STRANGER, [url, 'zero', String(SAMPLES)]));
      await copy.waitLine(/^ready$/, 30_000);
      await zero.waitLine(/^ready$/, 30_000);
      for (let i = 0; i < SAMPLES; i++) {
        const s = await pub.loan('s.frame', 60_000, { timeout: 20_000 });
        s.data.fill(i + 1);
        await s.publish();
      }
      for (const c of [copy, zero]) {
        assert.is((await c.waitExit(30_000)).code, 0, c.lines.join('\n'));
        const msgs = c.lines.filter((l) => l.startsWith('msg '));
        assert.equal(msgs, Array.from({ length: SAMPLES }, (_, i) => `msg 60000 ${i + 1}`), c.lines.join('\n'));
        assert.not.ok(c.lines.some((l) => l.startsWith('event ')), c.lines.join('\n'));
      }
    } finally {
      await pub.close();
      await hub.close();
    }
    assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), []);
  });
}

test.run();
