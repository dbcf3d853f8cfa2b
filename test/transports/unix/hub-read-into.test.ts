/**
 * The accepting side (the hub) of a unix socket reads in place too (shared/accept-read-into.ts):
 * its accepted socket's handle moves to a Socket made with Node's `onread`. Checked here:
 * - frames of every size and split, sent by the connecting side and kept by the hub until the
 *   end, arrive intact, and no read went through Node's own buffers (`Socket#push` of data);
 * - a pause in the middle of a large frame loses nothing;
 * - the server's connection count follows the moved sockets: `server.close()` still waits for
 *   them and calls back once they are gone, and no fd is left open;
 * - a client killed (SIGKILL) in the middle of a large frame ends only its own connection;
 * - a socket that cannot hand its handle over (not paused on accept) is used as it is.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect as netConnect, createServer, Socket, type Server } from 'node:net';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { adoptAcceptedForReadInto } from '../../../src/transports/shared/accept-read-into.js';
import { ReadInto } from '../../../src/transports/framing/frame-input.js';
import { uniqueName } from '../../helpers/run-id.js';
import { MiB, payload, same, pauseMidLargeFrame, sendInterleaved, sendRuns } from './read-into-frames.js';
import { within, until } from '../../helpers/watchdog.js';

const openFds = (): string[] => readdirSync('/proc/self/fd');

/** Counts bytes a socket pushed from Node's own read buffers (the path `onread` replaces). */
function countPushedReads(): { bytes: () => number; restore: () => void } {
  const original = Socket.prototype.push;
  let bytes = 0;
  Socket.prototype.push = function push(this: Socket, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk instanceof Uint8Array) bytes += chunk.length;
    return original.call(this, chunk, encoding);
  };
  return { bytes: () => bytes, restore: () => { Socket.prototype.push = original; } };
}

/** The accepting side reads: the connecting side writes. */
async function pair(label: string): Promise<{ writer: Connection; reader: Connection; close(): Promise<void> }> {
  const url = `unix:///tmp/${uniqueName(label)}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  const writer = await unixTransport.connect(url);
  const reader = (await within(10_000, 'accept', accepted.next())).value as Connection;
  return {
    writer, reader,
    close: async () => { await writer.close(); await reader.close(); await listener.close(); },
  };
}

test('frames of every size sent to the hub arrive intact, read in place, and stay intact while kept', async () => {
  const pushed = countPushedReads();
  const { writer, reader, close } = await pair('hubreadinto');
  try {
    await sendInterleaved(writer, reader);
    assert.is(pushed.bytes(), 0, 'no byte read through Node\'s own buffers (data events)');
  } finally {
    pushed.restore();
    await close();
  }
});

test('runs of large frames of one size sent to the hub, each ended by a size guessed wrong, arrive intact', async () => {
  const { writer, reader, close } = await pair('hubreadinto-runs');
  try {
    await sendRuns(writer, reader);
  } finally {
    await close();
  }
});

test('a pause of the hub in the middle of a large frame loses nothing', async () => {
  await pauseMidLargeFrame(await pair('hubreadinto-pause'));
});

test('a listener with moved sockets closes: its connections, its server, and every fd', async () => {
  const before = openFds().length;
  const url = `unix:///tmp/${uniqueName('hubreadinto-close')}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  const clients: Connection[] = [];
  const hubSide: Connection[] = [];
  for (let i = 0; i < 4; i++) {
    clients.push(await unixTransport.connect(url));
    const conn = (await within(10_000, 'accept', accepted.next())).value as Connection;
    conn.consume(() => { /* reading: an end is seen */ });
    hubSide.push(conn);
  }
  // One client leaves first (its hub side ends by itself), one hub side is closed by the hub.
  await clients[0]!.close();
  await within(10_000, 'the hub side of a client that left ends', hubSide[0]!.closed);
  await hubSide[1]!.close();
  // The rest are still open when the listener closes: server.close() waits for them.
  await within(10_000, 'listener closes', listener.close());
  for (const c of clients) await within(10_000, 'client ends', c.close());
  await until('fds back to where they were', () => openFds().length <= before, 10_000);
  assert.ok(openFds().length <= before, `fds ${openFds().length} <= ${before}`);
});

test('the server counts moved sockets once each and calls close back when they are gone', async () => {
  const path = `/tmp/${uniqueName('hubreadinto-count')}.sock`;
  const server: Server = createServer({ pauseOnConnect: true });
  const adopted: Socket[] = [];
  server.on('connection', (s: Socket) => {
    const socket = adoptAcceptedForReadInto(s, new ReadInto());
    adopted.push(socket);
    socket.on('error', () => { /* the peer may reset */ });
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  const clients = [netConnect(path), netConnect(path), netConnect(path)];
  await until('three accepted', () => adopted.length >= 3, 10_000);
  const count = (): Promise<number> => new Promise((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));
  assert.is(await count(), 3);
  assert.ok(adopted.every((s) => (s as Socket & { server: unknown }).server === server), 'each moved socket belongs to the server');
  adopted[0]!.destroy();
  await until('two left', async () => (await count()) === 2, 10_000);
  let closed = false;
  const serverClosed = new Promise<void>((r) => server.close(() => { closed = true; r(); }));
  await new Promise((r) => setTimeout(r, 20));
  assert.is(closed, false, 'server.close waits for the moved sockets still open');
  for (const s of adopted) s.destroy();
  await within(10_000, 'server closes once they are gone', serverClosed);
  for (const c of clients) c.destroy();
});

test('a socket that cannot hand its handle over is used as it is', async () => {
  const path = `/tmp/${uniqueName('hubreadinto-plain')}.sock`;
  const server = createServer({ pauseOnConnect: false });
  let kept: boolean | undefined;
  server.on('connection', (s: Socket) => {
    kept = adoptAcceptedForReadInto(s, new ReadInto()) === s;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(path, () => r()));
  const client = netConnect(path);
  client.on('error', () => { /* reset by the server */ });
  await until('accepted', () => kept !== undefined, 10_000);
  assert.is(kept, true, 'a socket already reading keeps its handle');
  client.destroy();
  await within(10_000, 'server closes', new Promise<void>((r) => server.close(() => r())));
});

test('a client killed in the middle of a large frame ends only its own connection', async () => {
  const url = `unix:///tmp/${uniqueName('hubreadinto-kill')}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  const path = url.slice('unix://'.length);
  // A raw client that announces a 4 MiB frame, sends 1 MiB of it, and waits to be killed.
  const child = spawn(process.execPath, ['-e', `
    const s = require('node:net').connect(${JSON.stringify(path)}, () => {
      const head = Buffer.alloc(4); head.writeUInt32BE(4 * 1024 * 1024);
      s.write(head); s.write(Buffer.alloc(1024 * 1024, 9), () => console.log('sent'));
    });
    setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const torn = (await within(10_000, 'accept', accepted.next())).value as Connection;
    const good = await unixTransport.connect(url);
    const goodHub = (await within(10_000, 'accept', accepted.next())).value as Connection;
    const got: Uint8Array[] = [];
    goodHub.consume((f) => got.push(f));
    torn.consume(() => assert.unreachable('no frame from the killed client'));
    await within(10_000, 'the child sent its part', new Promise((r) => child.stdout!.once('data', r)));
    child.kill('SIGKILL');
    const info = await within(10_000, 'the torn connection ends', torn.closed);
    assert.is((info as { reason?: string }).reason, 'peer-gone');
    const p = payload(1, MiB + 3);
    good.write(p);
    await until('the other client is still served', () => got.length >= 1, 10_000, 5);
    assert.ok(same(got[0]!, p));
    await good.close();
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await listener.close();
  }
});

test.run();
