/** shm:// between real processes: rendezvous, both APIs, big frames, peer death, cleanup. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { shmTransport } from '../../../src/transports/shm/shm-transport.js';
import { InvalidUrlError, HubRunningError } from '../../../src/errors.js';
import type { Connection } from '../../../src/transports/transport.js';
import { ChildSet, script, spawnNode } from '../../helpers/processes.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

const peer = script(import.meta.url, './shm-peer.js');
const children = new ChildSet();
const ours = (name: string): string[] => readdirSync('/dev/shm').filter((n) => n.includes(name));

async function rejects(fn: () => Promise<unknown>, check: RegExp | ((e: unknown) => boolean), what = ''): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const ok = check instanceof RegExp ? check.test(String((err as Error).message)) : check(err);
    assert.ok(ok, `${what}: unexpected error ${String(err)}`);
    return;
  }
  assert.unreachable(`${what}: should have rejected`);
}

test.after.each(() => children.killAll());

test('bad URLs are refused with clear errors', async () => {
  for (const url of ['shm://a/b', 'shm://..', 'shm://x?size=3000', 'shm://x?size=1KiB', 'shm://x?api=mq',
    'shm://x?bogus=1', 'shm://x?spin=-1', 'shm://.hidden']) {
    await rejects(() => shmTransport.listen(url), (e: unknown) => e instanceof InvalidUrlError, url);
  }
});

async function firstConnection(hub: AsyncIterable<Connection>): Promise<Connection> {
  for await (const c of hub) return c;
  throw new Error('listener ended');
}

for (const api of ['posix', 'sysv'] as const) {
  test(`${api}: frames from another process arrive in order and intact, 16 MiB included; nothing stays in /dev/shm`, async () => {
    const name = uniqueName('shm');
    const url = `shm://${name}?size=256KiB&api=${api}`;
    const hub = await shmTransport.listen(url);
    const client = children.add(spawnNode(peer, ['client-send', url, '2000', '3000']));
    const conn = await within(15_000, 'accept', firstConnection(hub));
    assert.is(conn.peer.pid, client.pid);
    const hash = createHash('sha256');
    let n = 0;
    for await (const frame of conn) {
      assert.is(new DataView(frame.buffer, frame.byteOffset).getUint32(0), n, 'order');
      hash.update(frame);
      n += 1;
    }
    assert.is(n, 2000);
    const line = await client.waitLine(/^sent /);
    assert.is(hash.digest('hex'), line.slice(5));
    assert.equal(ours(name), [`unibus-shm.${name}~announce`], 'only the announce FIFO while the hub lives');

    const big = children.add(spawnNode(peer, ['client-send', url, '1', String(16 * 1024 * 1024)]));
    const conn2 = await within(15_000, 'accept', firstConnection(hub));
    const h2 = createHash('sha256');
    for await (const frame of conn2) { assert.is(frame.length, 16 * 1024 * 1024); h2.update(frame); }
    assert.is(h2.digest('hex'), (await big.waitLine(/^sent /)).slice(5));
    await hub.close();
    assert.equal(ours(name), []);
  });
}

test('a peer killed right after send() resolved: every frame it committed is delivered, then peer-gone', async () => {
  const name = uniqueName('kill');
  const url = `shm://${name}?size=1MiB`; // room for all 5000 frames: the peer dies before we read
  const hub = await shmTransport.listen(url);
  const client = children.add(spawnNode(peer, ['client-send', url, '5000', '100'], { KILL: '1' }));
  const conn = await within(15_000, 'accept', firstConnection(hub));
  let n = 0;
  conn.pause(); // let the ring fill while the peer dies
  await client.exited;
  conn.consume(() => { n += 1; });
  const closed = await within(10_000, 'closed', conn.closed);
  assert.is(n, 5000);
  assert.is(closed.reason, 'peer-gone');
  await hub.close();
  assert.equal(ours(name), []);
});

test('echo both ways; the hub closing ends the client cleanly; a second hub of the name is refused', async () => {
  const name = uniqueName('echo');
  const url = `shm://${name}?size=16KiB`;
  const hub = await shmTransport.listen(url);
  await rejects(() => shmTransport.listen(url), (e: unknown) => e instanceof HubRunningError);
  const client = children.add(spawnNode(peer, ['client-echo', url]));
  const conn = await within(15_000, 'accept', firstConnection(hub));
  const it = conn[Symbol.asyncIterator]();
  for (let i = 0; i < 300; i += 1) {
    const frame = new Uint8Array(i * 37).fill(i & 0xff); // up to 11 KiB: pieces in a 16 KiB ring
    await conn.send(frame);
    const back = await within(5000, `echo ${i}`, it.next());
    assert.equal(back.value, frame);
  }
  await hub.close();
  assert.match(await client.waitLine(/^done /), /done clean/);
  assert.is((await client.waitExit()).code, 0);
  assert.equal(ours(name), []);
});

test('a hub killed by SIGKILL: the next hub of that name removes its leftovers', async () => {
  const name = uniqueName('dead');
  const url = `shm://${name}?size=16KiB`;
  const h1 = children.add(spawnNode(peer, ['hub', url]));
  await h1.waitLine(/listening/);
  const c = children.add(spawnNode(peer, ['client-echo', url]));
  await c.waitLine(/connected/);
  h1.kill('SIGKILL');
  await h1.exited;
  assert.ok(ours(name).length > 0, 'the dead hub left its announce FIFO');
  assert.match(await c.waitLine(/^done /), /done peer-gone/);
  const hub = await shmTransport.listen(url);
  assert.equal(ours(name), [`unibus-shm.${name}~announce`]);
  assert.is(statSync(`/dev/shm/unibus-shm.${name}~announce`).mode & 0o777, 0o600);
  await hub.close();
  assert.equal(ours(name), []);
});

test('connect without a hub times out; close() of a fresh listener lets the process go on', async () => {
  const name = uniqueName('none');
  await rejects(() => shmTransport.connect(`shm://${name}`, { connectTimeout: 300 }), /Timed out/);
  assert.equal(ours(name), []);
});

test.run();
