import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, stat } from 'node:fs';
import { sysvmqTransport as t } from '../../../src/transports/sysvmq/sysvmq-transport.js';
import { parseSysvmqUrl } from '../../../src/transports/sysvmq/url.js';
import { FrameTooLargeError, InvalidUrlError } from '../../../src/errors.js';
import { IPC_NOWAIT, MsgBuffer, msgSend } from '../../../src/native/sysv-msg.js';
import { acquireWaker } from '../../../src/transports/sysvmq/waker.js';
import type { SysvConnection } from '../../../src/transports/sysvmq/connection.js';
import { spawnNode } from '../../helpers/processes.js';
import { until, within } from '../../helpers/watchdog.js';
import { checkFrame } from './frames.js';
import { alive, numbers, peer, rendezvousOf, sysvmqHarness } from './harness.js';

const h = sysvmqHarness('sysvmq');
const { children, listen, newUrl, pair, nextAccepted } = h;

test.after(() => h.cleanup());

test('URLs: key files with proj, literal keys, and clear errors for bad ones', () => {
  const a = parseSysvmqUrl('sysvmq:///tmp/app.key?proj=7');
  assert.is(a.keyfile, '/tmp/app.key');
  assert.is(a.proj, 7);
  assert.is(a.url, 'sysvmq:///tmp/app.key?proj=7');
  const b = parseSysvmqUrl('sysvmq://0x1234');
  assert.is(b.key, 0x1234);
  for (const bad of ['sysvmq://0x0', 'sysvmq://0x4012ab', 'sysvmq://hello', 'sysvmq:///tmp/a?proj=0', 'sysvmq:///tmp/a?proj=300',
    'sysvmq:///tmp/a?x=1', 'sysvmq://0x12?proj=3', 'unix:///tmp/a', 'sysvmq:///']) {
    assert.throws(() => parseSysvmqUrl(bad), (e: unknown) => e instanceof InvalidUrlError, bad);
  }
});

test('frames of every size keep their boundaries and order, both ways', async () => {
  const url = newUrl();
  const { hub, client, server } = await pair(url);
  const ids = [rendezvousOf(url), acquireWaker().queueId, (server as SysvConnection).rxQueue, (server as SysvConnection).txQueue];
  assert.equal(alive(ids), ids, 'rendezvous, wake queue and a pair exist');
  const sizes = [0, 1, 64, 8187, 8188, 8192, 8193, 16384, 20 * 1024, 100_000, 1 << 20];
  const got: number[] = [];
  const echoed = new Promise<void>((resolve) => {
    server.consume((f) => { got.push(f.length); server.write(f); if (got.length === sizes.length) resolve(); });
  });
  const frames = sizes.map((s, i) => new Uint8Array(s).fill(i + 1));
  for (const f of frames) await client.send(f);
  await within(20_000, 'echo', echoed);
  assert.equal(got, sizes);
  const it = client[Symbol.asyncIterator]();
  for (const f of frames) {
    const r = await within(10_000, 'echoed frame', it.next());
    assert.equal(Buffer.compare(Buffer.from(r.value!), Buffer.from(f)), 0);
  }
  await client.close();
  assert.equal(await client.closed, { reason: 'clean' });
  assert.is((await within(5000, 'server closed', server.closed)).reason, 'clean');
  await hub.close();
  assert.equal(alive(ids), [], 'no queue left after close');
  assert.not.ok(existsSync(url.slice('sysvmq://'.length)), 'key file the hub created is removed');
});

test('a frame over maxFrameSize is refused before anything is written; the connection goes on', async () => {
  const url = `${newUrl()}`;
  const hub = await listen(url, { maxFrameSize: 100_000 });
  const accepted = nextAccepted(hub);
  const client = await t.connect(url);
  const server = await accepted;
  assert.is(client.maxFrameSize, 100_000, 'the smaller maxFrameSize wins');
  assert.throws(() => client.write(new Uint8Array(100_001)), (e: unknown) => e instanceof FrameTooLargeError);
  // send() resolves once the frame is in the kernel: 100 kB > 16 KiB needs the hub reading.
  const next = server[Symbol.asyncIterator]().next();
  await client.send(new Uint8Array(100_000));
  const r = await within(5000, 'frame', next);
  assert.is(r.value!.length, 100_000);
  await client.close();
  await hub.close();
});

test('200 frames of 20 KiB from two publisher processes arrive intact and in order per publisher', async () => {
  const url = newUrl();
  const hub = await listen(url);
  const seen = new Map<number, number>([[1, 0], [2, 0]]);
  let bad = 0;
  const done = new Promise<void>((resolve) => {
    let ended = 0;
    void (async () => {
      for await (const c of hub) {
        c.consume((f) => {
          const ok = checkFrame(f);
          if (!ok || ok.seq !== seen.get(ok.tag)) bad++;
          else seen.set(ok.tag, ok.seq + 1);
        });
        void c.closed.then(() => { if (++ended === 2) resolve(); });
      }
    })();
  });
  const a = children.add(spawnNode(peer, ['publish', url, '200', String(20 * 1024), '1']));
  const b = children.add(spawnNode(peer, ['publish', url, '200', String(20 * 1024), '2']));
  await within(60_000, 'both publishers done', done);
  assert.is(bad, 0, 'no corrupt or out-of-order frame');
  assert.is(seen.get(1), 200);
  assert.is(seen.get(2), 200);
  assert.is((await a.waitExit()).code, 0);
  assert.is((await b.waitExit()).code, 0);
  await hub.close();
});

test('a client killed mid-frame: committed frames arrive, the half frame never does, its queues go', async () => {
  const url = newUrl();
  const hub = await listen(url);
  const accepted = nextAccepted(hub);
  const child = children.add(spawnNode(peer, ['partial', url]));
  const server = await accepted as SysvConnection;
  const ids = [...numbers(await child.waitLine(/^partial \d+$/)), server.rxQueue, server.txQueue];
  assert.equal(alive(ids), ids, 'the client has its wake queue and pair');
  child.kill('SIGKILL');
  await child.waitExit();
  const frames: Uint8Array[] = [];
  for await (const f of server) frames.push(f);
  assert.is(frames.length, 1);
  assert.is(new TextDecoder().decode(frames[0]), 'committed');
  const closed = await server.closed;
  assert.is(closed.reason, 'peer-gone');
  assert.match(String(closed.error), /mid-frame/);
  await until('the dead client\'s queues are removed', () => alive(ids).length === 0);
  await hub.close();
});

test('SIGINT of a hub process removes everything; a connected client sees peer-gone or clean', async () => {
  const url = newUrl();
  const hubProc = children.add(spawnNode(peer, ['hub', url]));
  const ids = [...numbers(await hubProc.waitLine(/^ready \d+$/)), rendezvousOf(url)];
  const client = await t.connect(url) as SysvConnection;
  ids.push(client.txQueue, client.rxQueue);
  await client.send(new Uint8Array([9]));
  const echo = await within(5000, 'echo', client[Symbol.asyncIterator]().next());
  assert.equal([...echo.value!], [9]);
  hubProc.kill('SIGINT');
  assert.is((await hubProc.waitExit()).code, 0);
  const closed = await within(10_000, 'client closed', client.closed);
  assert.ok(['clean', 'peer-gone'].includes(closed.reason), closed.reason);
  await until('no queues left', () => alive(ids).length === 0);
});

test('close() wakes the parked wait: a process that listens, connects and closes exits on its own', async () => {
  const child = children.add(spawnNode(peer, ['cycle', newUrl()]));
  await child.waitLine(/^got 3$/);
  assert.is((await child.waitExit(20_000)).code, 0);
});

test('one parked pool thread per process: fs.stat completes with many connections open', async () => {
  const url = newUrl();
  const hub = await listen(url);
  const clients = await Promise.all(Array.from({ length: 6 }, () => t.connect(url)));
  for (let i = 0; i < 8; i++) {
    await within(5000, 'fs.stat with the pool shared', new Promise((res, rej) => stat('/', (e, s) => (e ? rej(e) : res(s)))));
  }
  await Promise.all(clients.map((c) => c.close()));
  await hub.close();
});

test('garbage in a data queue closes that connection only (protocol)', async () => {
  const url = newUrl();
  const { hub, client, server } = await pair(url);
  const accepted = nextAccepted(hub);
  const other = await t.connect(url);
  const otherServer = await accepted;
  // Post a message of an unknown type into the queue the hub reads from this client.
  const msg = new MsgBuffer(4);
  msg.type = 77;
  const rx = (server as unknown as { rxQueue: number }).rxQueue;
  assert.is(msgSend(rx, msg, 4, IPC_NOWAIT), 0);
  server.consume(() => undefined);
  await client.send(new Uint8Array([1]));
  const closed = await within(5000, 'garbage closes', server.closed);
  assert.is(closed.reason, 'protocol');
  await other.send(new Uint8Array([2]));
  const r = await within(5000, 'other still works', otherServer[Symbol.asyncIterator]().next());
  assert.equal([...r.value!], [2]);
  await client.close();
  await other.close();
  await hub.close();
});

test.run();
