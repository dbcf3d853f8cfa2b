/**
 * A client written from docs/protocol.md alone (raw bytes over a Unix socket, see
 * outside/raw-client.ts) against a real hub: the handshake, SUB/PUB both ways, ERR before every
 * close, zero-length frames, a small announced maxFrameSize, the reserved `$sys.` topics and
 * the proven peer identity.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Packr } from 'msgpackr';
import { Bus, type PeerDescription } from '../../src/index.js';
import { tmpDir } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';
import { RawClient } from './outside/raw-client.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });
const T = 15_000;

async function withHub(fn: (hub: Bus, path: string) => Promise<void>): Promise<void> {
  const path = `${tmpDir('outside')}/hub.sock`;
  const hub = await Bus.listen(`unix://${path}`, { name: 'outside-hub' });
  try {
    await within(T * 2, 'the case', fn(hub, path));
  } finally {
    await hub.close();
  }
}

/** Connects and says HELLO; returns once the hub's HELLO arrived. */
async function greeted(path: string, name: string, opts?: Parameters<RawClient['hello']>[1]): Promise<RawClient> {
  const c = await RawClient.connect(path);
  c.hello(name, opts);
  const hello = await within(T, 'hub HELLO', c.next(1));
  assert.ok(hello, 'the hub answers HELLO');
  return c;
}

test('handshake, SUB and PUB both ways, PING/PONG', () => withHub(async (hub, path) => {
  const c = await greeted(path, 'raw');
  const [, version, name, , maxFrameSize, busId] = c.frames.find((f) => f[0] === 1)!;
  assert.is(version, 1);
  assert.is(name, 'outside-hub');
  assert.is(maxFrameSize, 16 * 1024 * 1024);
  assert.is(busId, 'hub:outside-hub');
  c.send([2, 7, 'orders.*', null]);
  assert.ok(await within(T, 'PONG', c.ping(1)));
  await hub.publish('orders.new', { id: 7 });
  const pub = (await within(T, 'PUB', c.next(4)))!;
  assert.is(pub[1], 'orders.new');
  assert.is(pub[2], 1, 'codec msgpack');
  assert.equal(packr.unpack(pub[7] as Uint8Array), { id: 7 });

  const got: unknown[] = [];
  hub.subscribe('from.raw').subscribe((m) => got.push(m.data));
  await hub.flush();
  c.send([4, 'from.raw', 2, 'raw-1', 1, null, null, Buffer.from('{"n":1}')]);
  await until('the hub bus got the raw PUB', () => got.length === 1, T);
  assert.equal(got, [{ n: 1 }]);
  c.close();
}));

// Item 6: each protocol error reaches the client as ERR, and only then does the connection end.
const errCases: Array<[string, (c: RawClient) => void, string?]> = [
  ['wrong version', (c) => c.hello('v9', { version: 9 })],
  ['PUB before HELLO', (c) => c.send([4, 'a', 0, 'x', 1, null, null, Buffer.alloc(1)])],
  ['unknown type after HELLO', (c) => { c.hello('u'); c.send([42, 'what']); }],
  ['garbage (not msgpack)', (c) => c.sendBody(Buffer.from([0xc1, 0xc1, 0xc1]))],
  ['a length above maxFrameSize', (c) => c.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]))],
  ['a busId that is not one token', (c) => c.send([1, 1, 'dots', 1, 1 << 20, 'a.b'])],
  ['a HELLO maxFrameSize below 256', (c) => c.hello('tiny', { maxFrameSize: 16 })],
  ['a malformed PING', (c) => { c.hello('p'); c.send([5, 'not-a-number']); }],
  ['a SUB pattern that breaks the grammar', (c) => { c.hello('s'); c.send([2, 1, 'a..b', null]); }, 'ERR_UNIBUS_INVALID_TOPIC'],
];
for (const [what, provoke, code = 'ERR_UNIBUS_PROTOCOL'] of errCases) {
  test(`ERR arrives before the close: ${what}`, () => withHub(async (_hub, path) => {
    const c = await RawClient.connect(path);
    provoke(c);
    await within(T, 'the hub closes', c.ended);
    const err = c.frames.find((f) => f[0] === 8);
    assert.ok(err, `an ERR frame before the close; got ${JSON.stringify(c.frames.map((f) => f[0]))}`);
    assert.type(err[1], 'string', 'ERR code is a string');
    assert.is(err[1], code);
    assert.type(err[2], 'string');
  }));
}

test('a partial frame that stalls past partialFrameTimeout gets ERR before the close', async () => {
  const path = `${tmpDir('outside')}/hub.sock`;
  const hub = await Bus.listen(`unix://${path}`, { name: 'stall-hub', partialFrameTimeout: 200 });
  try {
    const c = await greeted(path, 'stall');
    c.socket.write(Buffer.from([0, 0, 1, 0, 0x94, 4])); // 256 bytes announced, 2 sent
    await within(T, 'the hub closes', c.ended);
    const err = c.frames.find((f) => f[0] === 8);
    assert.ok(err, 'ERR before the close');
    assert.is(err[1], 'ERR_UNIBUS_PROTOCOL');
    assert.match(String(err[2]), /partialFrameTimeout/);
  } finally {
    await hub.close();
  }
});

test('a slow consumer is told by ERR after what was queued for it, then EOF', async () => {
  const path = `${tmpDir('outside')}/hub.sock`;
  const hub = await Bus.listen(`unix://${path}`, { name: 'slow-hub', maxStall: 300 });
  try {
    const c = await greeted(path, 'slow');
    c.send([2, 1, 'flood', null]);
    assert.ok(await within(T, 'PONG', c.ping(1)));
    c.socket.pause(); // stop reading: the hub's writes to it fill up
    let cut = false;
    hub.on('slow-consumer', () => { cut = true; c.socket.resume(); });
    const payload = new Uint8Array(64 * 1024);
    while (!cut) await within(T, 'publish', hub.publish('flood', payload));
    await within(T, 'the hub closes', c.ended);
    const err = c.frames.find((f) => f[0] === 8);
    assert.ok(err, 'ERR before the close');
    assert.is(err[1], 'ERR_UNIBUS_SLOW_CONSUMER');
    assert.is(c.frames[c.frames.length - 1]![0], 8, 'the ERR is the last frame');
  } finally {
    await hub.close();
  }
});

// Item 7: a zero-length frame is valid, before and after HELLO.
test('zero-length frames are ignored, the connection stays open', () => withHub(async (_hub, path) => {
  const c = await RawClient.connect(path);
  c.sendBody(new Uint8Array(0));
  c.hello('zero');
  assert.ok(await within(T, 'hub HELLO', c.next(1)));
  c.sendBody(new Uint8Array(0));
  c.sendBody(new Uint8Array(0));
  assert.ok(await within(T, 'PONG after zero-length frames', c.ping(3)), 'still open');
  assert.not.ok(c.frames.some((f) => f[0] === 8), 'no ERR');
  c.close();
}));

// Item 8: a client that announced a small maxFrameSize never gets a larger frame.
test('a small maxFrameSize in HELLO is honoured: larger frames skipped, counted, told by ERR', () => withHub(async (hub, path) => {
  const c = await greeted(path, 'small', { maxFrameSize: 1024 });
  c.send([2, 1, 'big.*', null]);
  c.send([2, 2, 'work', 'q']); // a queue subscription as well
  assert.ok(await within(T, 'PONG', c.ping(1)));
  await hub.publish('big.one', new Uint8Array(4096));
  await hub.publish('work', new Uint8Array(4096));
  await hub.publish('big.two', 'small enough');
  const pub = (await within(T, 'the small PUB', c.next(4)))!;
  assert.is(pub[1], 'big.two');
  assert.ok(await within(T, 'PONG after the PUBs', c.ping(2)), 'the connection stays open');
  assert.ok(Math.max(...c.lengths) <= 1024, `no frame above 1024 bytes: ${Math.max(...c.lengths)}`);
  const errs = c.frames.filter((f) => f[0] === 8);
  assert.is(errs.length, 2, 'one ERR per skipped frame');
  for (const e of errs) assert.is(e[1], 'ERR_UNIBUS_FRAME_TOO_LARGE');
  assert.is(hub.stats().oversizeDrops, 2, 'the hub counts them');
  c.close();
}));

// Item 11: `$sys.` is the hub's; a client PUB there is refused, the client stays connected.
test('a client PUB on $sys.* gets ERR, is not delivered, and the connection stays open', () => withHub(async (hub, path) => {
  const seen: string[] = [];
  hub.subscribe('$sys.>').subscribe((m) => seen.push(m.topic));
  await hub.flush();
  const c = await greeted(path, 'forger');
  await until('the hub announced the join', () => seen.includes('$sys.peers'), T);
  seen.length = 0;
  c.send([4, '$sys.peers', 1, 'forger-1', 1, null, null, packr.pack([{ id: 'p1', name: 'fake', pid: 1 }])]);
  c.send([4, '$sys.supervisor.x.started', 1, 'forger-1', 2, null, null, packr.pack({ type: 'started' })]);
  assert.ok(await within(T, 'PONG', c.ping(1)), 'still open');
  const errs = c.frames.filter((f) => f[0] === 8);
  assert.is(errs.length, 2);
  for (const e of errs) assert.is(e[1], 'ERR_UNIBUS_PERMISSION');
  await hub.flush();
  assert.equal(seen, [], 'no forged $sys message was delivered');
  c.close();
}));

// Item 10: the pid the kernel proves, and the claimed one only as a claim.
test('peers: the kernel pid and uid (SO_PEERCRED), the HELLO pid only as claimedPid', () => withHub(async (hub, path) => {
  const c = await greeted(path, 'liar', { pid: 1 });
  const me = await until('the hub lists the peer', () => hub.peers().find((p) => p.name === 'liar'), T);
  assert.is(me.pid, process.pid, 'pid from SO_PEERCRED');
  assert.is(me.uid, process.getuid!());
  assert.is(me.gid, process.getgid!());
  assert.is(me.claimedPid, 1, 'what it said is a claim');
  const peers = (await within(T, 'PEERS', c.next(11)))!;
  const entry = (peers[1] as unknown[][]).find((e) => e[1] === 'liar')!;
  assert.equal(entry.slice(2), [process.pid, 'unix', 1, process.getuid!()], '[id, name, pid, transport, claimedPid, uid]');
  // A Bus client sees the same through PEERS.
  const bus = await Bus.connect(`unix://${path}`, { name: 'watcher' });
  try {
    const seen = await until('the client sees the liar', () => bus.peers().find((p: PeerDescription) => p.name === 'liar'), T);
    assert.is(seen.pid, process.pid);
    assert.is(seen.claimedPid, 1);
  } finally {
    await bus.close();
  }
  c.close();
}));

test.run();
