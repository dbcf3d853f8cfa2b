/**
 * examples/custom-transport: the abstract:// hub refuses peers of another user (SO_PEERCRED),
 * unless the URL allows their uid. Needs root to start a peer as another user; skipped otherwise.
 */
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Child, script, within, type Connection, type Listener } from 'unibus/transport-kit';
import '../../examples/custom-transport/register.js';
import { abstractTransport } from '../../examples/custom-transport/abstract-transport.js';
import { abstractFixture } from '../../examples/custom-transport/fixture.js';
import { whyNot } from '../policy/users.js';

const NOBODY = 65534;
const own = process.getuid?.() ?? 0;
const peerScript = script(import.meta.url, '../../src/transport-kit/conformance/clients/peer.js');

/** The conformance `echo` peer, running as `uid`. */
function echoPeerAs(uid: number, url: string): Child {
  return new Child(spawn(process.execPath, ['--import', abstractFixture.preload!, peerScript, 'echo'], {
    uid, gid: uid, cwd: '/', env: { ...process.env, UNIBUS_URL: url }, stdio: ['pipe', 'pipe', 'pipe'],
  }));
}

async function accept(listener: Listener): Promise<Connection> {
  const next = await within(15_000, 'an accepted connection', listener[Symbol.asyncIterator]().next());
  if (next.done) throw new Error('listener ended');
  return next.value;
}

const skip = own !== 0 ? 'not root (starting a peer as another user needs root)' : whyNot([process.execPath, peerScript, abstractFixture.preload!.replace(/^file:\/\//, '')]);
if (skip) {
  test(`refusing another user SKIPPED: ${skip}`, () => console.log(`SKIP test/examples/custom-transport.uid: ${skip}`));
} else {
  test('a peer of another user is refused before anything is accepted; the hub serves its own user', async () => {
    const url = abstractFixture.url('uid-refused');
    const listener = await abstractTransport.listen(url);
    const stranger = echoPeerAs(NOBODY, url);
    try {
      // Its connect succeeds (the kernel queues it), then the hub drops it: its echo loop ends.
      assert.match(await stranger.waitLine(/^end /, 30_000), /^end (peer-gone|clean)$/);
      assert.equal((await stranger.waitExit()).code, 0);
      const mine = await abstractTransport.connect(url);
      const accepted = await accept(listener);
      assert.is(accepted.peer.uid, own, 'the first connection the hub accepts is our own, not the stranger');
      await mine.close();
    } finally {
      stranger.kill('SIGKILL');
      await listener.close();
    }
    assert.equal(await abstractFixture.leftovers(url), []);
  });

  test('?allow=<uid> lets that user in, with its uid as the peer identity', async () => {
    const url = `${abstractFixture.url('uid-allowed')}?allow=${NOBODY}`;
    const listener = await abstractTransport.listen(url);
    const guest = echoPeerAs(NOBODY, url);
    try {
      const accepted = await accept(listener);
      assert.is(accepted.peer.uid, NOBODY);
      await accepted.send(new TextEncoder().encode('hi'));
      const echoed = await within(15_000, 'the echo', accepted[Symbol.asyncIterator]().next());
      assert.equal(new TextDecoder().decode(echoed.value as Uint8Array), 'hi');
    } finally {
      guest.kill('SIGKILL');
      await listener.close();
    }
    assert.equal(await abstractFixture.leftovers(url), []);
  });
}

test.run();
