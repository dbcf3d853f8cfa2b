/**
 * A spool hub whose channel directories are removed or damaged under it (an unnamed client
 * deleting its channel right after the hub's bye, or a hostile user deleting files): it never
 * takes over a session whose session file is missing, never throws out of its scan timer or
 * close(), and keeps serving the other clients without losing what they sent.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { LivenessLock } from '../../../src/sync/liveness-lock.js';
import { tmpDir } from '../../helpers/run-id.js';
import { enc, takeText as take } from '../../helpers/frames.js';
import { within } from '../../helpers/watchdog.js';
import { removeTmp } from '../../sync/cleanup.js';

const dir = tmpDir('spool-removed');
let n = 0;
const fresh = (): { url: string; path: string } => {
  const path = join(dir, `s${(n += 1)}`);
  return { url: `file://${path}`, path };
};

test.after(() => removeTmp(dir));

async function accept(hub: AsyncIterable<Connection>): Promise<Connection> {
  const r = await within(10_000, 'accept', hub[Symbol.asyncIterator]().next());
  assert.not.ok(r.done);
  return r.value;
}


test('close() resolves when a live unnamed client\'s channel is removed under the hub', async () => {
  const { url, path } = fresh();
  const hub = await spoolTransport.listen(url);
  const client = await spoolTransport.connect(url);
  await client.send(enc('x'));
  const server = await accept(hub);
  assert.equal(await take(server, 1), ['x']);
  // What the unnamed client does once it has the hub's bye: delete its channel, lock still
  // held for a moment. Done before close() here, so the hub's closing tick always sees it.
  const [name] = readdirSync(join(path, 'channels'));
  rmSync(join(path, 'channels', name!), { recursive: true, force: true });
  await within(10_000, 'hub closed', hub.close());
  assert.ok(LivenessLock.isHeld(join(path, 'hub')) === false, 'the hub lock is released');
  client.destroy('clean');
});

test('the scan never takes over a channel whose session file is missing, and never crashes the hub', async () => {
  const { url, path } = fresh();
  const hub = await spoolTransport.listen(url);
  const alice = await spoolTransport.connect(`${url}?consumer=alice`);
  await alice.send(enc('a'));
  const s1 = await accept(hub);
  assert.equal(await take(s1, 1), ['a']);
  await alice.close();
  assert.is((await within(10_000, 'alice ended', s1.closed)).reason, 'clean');
  // A half-made channel: its lock is held by a live holder, but no session file, and part of
  // its `down` log is gone.
  const root = join(path, 'channels', 'alice');
  const lock = LivenessLock.acquire(join(root, 'client'));
  try {
    rmSync(join(root, 'session'));
    rmSync(join(root, 'down', 'consumers'), { recursive: true });
    // The scan that takes up bob's channel ticks alice's too (the old hub threw there, from its
    // timer: an uncaught exception).
    const bob = await spoolTransport.connect(`${url}?consumer=bob`);
    await bob.send(enc('b'));
    const s2 = await accept(hub);
    assert.equal(await take(s2, 1), ['b'], 'the next connection is bob\'s, not a takeover of alice\'s channel');
    await bob.close();
  } finally {
    lock.release();
  }
  await within(10_000, 'hub closed', hub.close());
  const rest = await within(10_000, 'accept queue drained', hub[Symbol.asyncIterator]().next());
  assert.ok(rest.done, 'no connection was made for alice\'s channel without a session file');
  assert.ok(existsSync(join(root, 'up')), 'alice\'s durable log is not deleted');
});

/** A small seeded generator: the same deletions on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function filesUnder(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).map((f) => join(root, f));
  } catch {
    return [];
  }
}

test('hostile: random files of one channel deleted while the hub serves two clients', async () => {
  const { url, path } = fresh();
  const hub = await spoolTransport.listen(url);
  const alice = await spoolTransport.connect(`${url}?consumer=alice`);
  let aliceOpen = true;
  void alice.closed.then(() => (aliceOpen = false), () => (aliceOpen = false));
  await alice.send(enc('hello'));
  const sa = await accept(hub);
  assert.equal(await take(sa, 1), ['hello']);
  const bob = await spoolTransport.connect(`${url}?consumer=bob`);
  const sb = await accept(hub);
  const got = take(sb, 300);
  const random = prng(7);
  const aliceRoot = join(path, 'channels', 'alice');
  for (let i = 0; i < 300; i++) {
    await bob.send(enc(`m${i}`));
    if (aliceOpen) {
      try {
        alice.write(enc(`noise${i}`));
      } catch {
        // alice's channel is the one being damaged: her end may have failed
      }
    }
    if (i % 10 === 0) {
      const files = [aliceRoot, ...filesUnder(aliceRoot)];
      const victim = files[Math.floor(random() * files.length)]!;
      rmSync(victim, { recursive: true, force: true });
    }
  }
  assert.equal(await got, Array.from({ length: 300 }, (_, i) => `m${i}`), 'bob keeps every message, in order');
  await within(10_000, 'bob closed', bob.close());
  alice.destroy('clean');
  await within(10_000, 'hub closed', hub.close());
  assert.ok(LivenessLock.isHeld(join(path, 'hub')) === false, 'the hub lock is released');
});

test.run();
