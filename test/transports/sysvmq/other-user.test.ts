/**
 * sysvmq:// between users (`allowOtherUsers`, hub `mode: 0o666`), run as `nobody`: a bus of
 * another user subscribes through the hub, and a hub of another user echoes this client's frames. Each
 * side posts wakes to the other's wake queue, which is then open to other users' posts (at 0600
 * those failed EACCES and the connection ended as if the peer were gone). Root only (a process
 * as another user); skipped otherwise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../../src/bus/bus.js';
import { sysvmqTransport as t } from '../../../src/transports/sysvmq/sysvmq-transport.js';
import { msgStat } from '../../../src/native/sysv-msg.js';
import { ChildSet, script } from '../../helpers/processes.js';
import { within } from '../../helpers/watchdog.js';
import { spawnAs, whyNot } from '../../policy/users.js';

const NOBODY = { name: 'nobody', uid: 65534, gid: 65534 };
const peer = script(import.meta.url, './peer.js');
/** A Bus subscriber (the zero-copy tests' other-user fixture). */
const stranger = script(import.meta.url, '../../zero-copy/stranger.js');
const children = new ChildSet();
test.after.each(() => children.killAll());
/** A literal key of this process: no key file, nothing another user cannot reach. */
const urlOf = (i: number): string => `sysvmq://0x${(0x5c000000 + ((process.pid & 0xffff) << 4) + i).toString(16)}`;

const skip = whyNot([process.execPath, peer, stranger]);
if (skip) {
  test(`sysvmq between users SKIPPED: ${skip}`, () => console.log(`SKIP test/transports/sysvmq/other-user: ${skip}`));
} else {
  test('a bus of another user subscribes through the hub and gets every message', async () => {
    const url = urlOf(1);
    const hub = await Bus.listen(url, { allowOtherUsers: true, mode: 0o666 });
    try {
      const sub = children.add(spawnAs(NOBODY, stranger, [url, 'copy', '3']));
      await sub.waitLine(/^ready$/, 30_000);
      for (let i = 1; i <= 3; i++) await hub.publish('s.x', new Uint8Array([i]));
      assert.is((await sub.waitExit()).code, 0, `${sub.lines.join('\n')}\n${sub.stderr}`);
      assert.equal(sub.lines.filter((l) => l.startsWith('msg ')), ['msg 1 1', 'msg 1 2', 'msg 1 3']);
    } finally {
      await hub.close();
    }
  });

  test('a hub of another user: this client\'s frames reach it and the echo comes back; nothing is left', async () => {
    const url = urlOf(2);
    const hub = children.add(spawnAs(NOBODY, peer, ['open-hub', url]));
    await hub.waitLine(/^ready$/, 30_000);
    const c = await t.connect(url, { allowOtherUsers: true });
    const ids = [(c as unknown as { txQueue: number }).txQueue, (c as unknown as { rxQueue: number }).rxQueue];
    await c.send(new TextEncoder().encode('hi'));
    const echo = await within(30_000, 'the echo', c[Symbol.asyncIterator]().next());
    assert.is(new TextDecoder().decode(echo.value as Uint8Array), 'hi');
    await c.close();
    hub.proc.kill('SIGTERM');
    assert.is((await hub.waitExit()).code, 0, hub.stderr);
    assert.equal(ids.filter((q) => msgStat(q) !== null), []);
  });
}

test.run();
