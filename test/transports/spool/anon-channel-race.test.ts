/**
 * An unnamed client's channel is removed by the hub once its client is gone (lock free) and it
 * is marked ephemeral. A client takes its lock first and writes its marker second; a hub that
 * probed the lock before the client took it and read the marker after it was written must not
 * remove a live client's brand-new channel (it did: the client's connect failed with a raw
 * ENOENT, or its channel vanished and the hub never served it). The race is made certain here:
 * the hub's lock probe is wrapped so that, the first time it finds the new channel's client
 * gone, the real client process takes its lock and writes its marker, and stays paused right
 * after the marker until the hub's tick is over.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Channel } from '../../../src/transports/spool/hub-channel.js';
import { channelPaths } from '../../../src/transports/spool/channel-layout.js';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { tmpDir } from '../../helpers/run-id.js';
import { takeText as take } from '../../helpers/frames.js';
import { within } from '../../helpers/watchdog.js';
import { script, spawnNode, ChildSet } from '../../helpers/processes.js';
import { removeTmp } from '../../sync/cleanup.js';

const dir = tmpDir('spool-anon-race');
const children = new ChildSet();
test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

/** Sleeps the whole (hub) thread: the point is that the hub's tick is held mid-way. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

test('a client that locks and marks its channel between the hub\'s two checks keeps its channel', async () => {
  const path = join(dir, 's1');
  const url = `file://${path}`;
  const name = 'anon-race-1';
  const paths = channelPaths(path, name);
  const signals = join(dir, 'signals-1');
  mkdirSync(signals, { recursive: true });
  const hub = await spoolTransport.listen(url);
  const probe = Channel.prototype.clientGone;
  let held = false;
  Channel.prototype.clientGone = function (this: Channel): boolean {
    const gone = probe.call(this);
    if (gone && !held && this.name === name && !existsSync(paths.ephemeral)) {
      // The client gets its lock and writes its marker now, then pauses until this tick is over.
      held = true;
      writeFileSync(join(signals, 'go'), '');
      for (let waited = 0; !existsSync(join(signals, 'marked')) && waited < 20_000; waited += 2) sleepSync(2);
      setImmediate(() => writeFileSync(join(signals, 'continue'), ''));
    }
    return gone;
  };
  try {
    const client = children.add(spawnNode(script(import.meta.url, './late-client.js'), [url, name, signals]));
    // The hub finds the channel before its client has locked it (the client waits for `go`).
    mkdirSync(paths.root, { recursive: true });
    const line = await client.waitLine(/^(opened|failed)/, 30_000);
    assert.ok(held, 'the hub probed the channel before its client took the lock');
    assert.is(line, 'opened');
    const it = hub[Symbol.asyncIterator]();
    const r = await within(20_000, 'the hub accepts the client', it.next());
    assert.not.ok(r.done);
    assert.equal(await take(r.value as Connection, 1), ['hello']);
    assert.ok(existsSync(paths.root), 'the live client\'s channel is still there');
    client.proc.stdin!.end();
    await client.waitExit();
  } finally {
    Channel.prototype.clientGone = probe;
    await within(10_000, 'hub closed', hub.close());
  }
});

test('a channel removed while its client opens it fails the connect with a typed error', async () => {
  const path = join(dir, 's2');
  const url = `file://${path}`;
  const name = 'anon-race-2';
  const signals = join(dir, 'signals-2');
  mkdirSync(signals, { recursive: true });
  writeFileSync(join(signals, 'go'), '');
  const client = children.add(spawnNode(script(import.meta.url, './late-client.js'), [url, name, signals]));
  // A hostile user (or a confused hub) removes the channel at the worst moment.
  await within(20_000, 'the client marks its channel', (async () => {
    while (!existsSync(join(signals, 'marked'))) await new Promise((r) => setTimeout(r, 5));
  })());
  rmSync(channelPaths(path, name).root, { recursive: true, force: true });
  writeFileSync(join(signals, 'continue'), '');
  const line = await client.waitLine(/^(opened|failed)/, 30_000);
  assert.match(line, /^failed ERR_UNIBUS_PEER_GONE Peer gone: spool channel removed while it was being opened/);
  await client.waitExit();
});

test.run();
