/**
 * Transport suite, data cases: order, frame sizes, oversized frames, many clients, bounded buffers.
 * @module
 */
import * as assert from 'uvu/assert';
import { ClosedError, FrameTooLargeError } from '../../errors.js';
import { canWriteInPlace } from '../../transports/capabilities.js';
import { within } from './watchdog.js';
import { endedAs, fillUntilBlocked, MiB, nextFrame, quiet, random, roundTrip, type CaseContext } from './checks.js';
import { numbered, OrderChecker, readNumbered, text, untext, writeInPlace } from './roles.js';

export function dataCases({ caps, it, session }: CaseContext): void {
  it('100k frames from a client arrive whole and in order', () => session('order-in', async (s) => {
    const peer = s.peer('sender', ['100000', '16', 'close', '7']);
    const conn = await s.accept();
    const order = new OrderChecker();
    const kept: Array<{ seq: number; frame: Uint8Array }> = [];
    for await (const frame of conn) {
      order.check(frame);
      if (order.count % 997 === 0) kept.push({ seq: order.count - 1, frame });
    }
    assert.is(order.count, 100_000);
    // Delivered frames belong to the receiver: later reads never overwrite them.
    for (const k of kept) assert.is(readNumbered(k.frame).seq, k.seq);
    endedAs((await conn.closed).reason, 'clean', 'peer-gone');
    await peer.waitExit();
  }));

  it('100k frames to a client arrive whole and in order, and close() sends them all', () => session('order-out', async (s) => {
    const peer = s.peer('sink', ['100000']);
    const conn = await s.accept();
    await peer.waitLine(/^ready/);
    for (let seq = 0; seq < 100_000; seq++) if (!conn.write(numbered(3, seq, 16))) await conn.drained();
    await conn.close();
    await peer.waitLine(/^got 100000 bytes 1600000$/, 30_000);
    assert.not.ok(peer.lines.some((l) => l.startsWith('bad')), peer.lines.join('\n'));
    await peer.waitExit();
  }));

  it('frames of 0 B, 1 B, 64 KiB, maxFrameSize (1 MiB) and chunked frames keep their bytes', () => session('sizes', async (s) => {
    const max = MiB;
    const peer = s.peer('echo', [], { maxFrameSize: max });
    const conn = await s.accept();
    assert.is(conn.maxFrameSize, max);
    await peer.waitLine(/^ready/);
    const frames = [0, 1, 64 * 1024, max, 2, max - 1, 0].map(random);
    const chunks = [random(3), new Uint8Array(0), random(70_000), random(5)];
    for (const f of frames) conn.write(f);
    await conn.send(chunks);
    const replies = conn[Symbol.asyncIterator]();
    for (const [i, f] of frames.entries()) {
      const back = await nextFrame(replies, `echo of frame ${i} (${f.length} B)`);
      assert.ok(Buffer.from(back).equals(Buffer.from(f)), `frame ${i} of ${f.length} B came back as ${back.length} B or changed`);
    }
    const joined = Buffer.concat(chunks);
    const back = await nextFrame(replies, 'echo of the chunked frame');
    assert.ok(Buffer.from(back).equals(joined), 'a frame sent as chunks arrives as one frame of their bytes');
  }, { maxFrameSize: MiB }));

  it('frames written in place (where a connection can: InPlaceWriter) keep their bytes and their place among write()s', () => session('in-place', async (s) => {
    const peer = s.peer('echo');
    const conn = await s.accept();
    await peer.waitLine(/^ready/);
    // Chosen by the capability the connection has: without it, writeInPlace is write().
    if (canWriteInPlace(conn)) assert.throws(() => conn.reserveFrame(conn.maxFrameSize + 1),
      (err: unknown) => err instanceof FrameTooLargeError && err.size === conn.maxFrameSize + 1);
    // Small frames (a backend's in-place path) and large ones (where it may decline with -1).
    const frames = [0, 1, 7, 100, 4096, 16 * 1024, 20_000, 3, 200_000, 64].map(random);
    for (const [i, f] of frames.entries()) {
      if (i % 2 === 0) writeInPlace(conn, f);
      else conn.write(f);
    }
    const replies = conn[Symbol.asyncIterator]();
    for (const [i, f] of frames.entries()) {
      const back = await nextFrame(replies, `echo of frame ${i} (${f.length} B)`);
      assert.ok(Buffer.from(back).equals(Buffer.from(f)), `frame ${i} of ${f.length} B came back as ${back.length} B or changed`);
    }
    await conn.close();
    if (canWriteInPlace(conn)) assert.throws(() => conn.reserveFrame(1), (err: unknown) => err instanceof ClosedError);
  }));

  it(`a frame of the default maxFrameSize (${caps.maxFrameSize} B) crosses both ways`, () => session('max-default', async (s) => {
    const peer = s.peer('echo');
    const conn = await s.accept();
    assert.is(conn.maxFrameSize, caps.maxFrameSize);
    await peer.waitLine(/^ready/);
    await roundTrip(conn, conn[Symbol.asyncIterator](), random(caps.maxFrameSize), 'echo of a maxFrameSize frame');
  }));

  it('an oversized frame is refused with FrameTooLargeError before anything is written', () => session('oversize', async (s) => {
    const max = 64 * 1024;
    const peer = s.peer('oversize', [String(max)], { maxFrameSize: max });
    const conn = await s.accept();
    assert.throws(() => conn.write(new Uint8Array(max + 1)), (err: unknown) => err instanceof FrameTooLargeError && err.size === max + 1);
    const refused = await conn.send([new Uint8Array(max), new Uint8Array(1)]).then(() => undefined, (err: unknown) => err);
    assert.instance(refused, FrameTooLargeError);
    const frames = conn[Symbol.asyncIterator]();
    // The peer refused its own oversized frames first: the first frame the hub sees is the next one.
    assert.is(untext(await nextFrame(frames, 'the frame after the refused ones')), 'after');
    await conn.send(text('bye'));
    await peer.waitLine(/^reply bye$/);
    assert.ok(peer.lines.includes('write refused FrameTooLargeError'), peer.lines.join('\n'));
    assert.ok(peer.lines.includes('send refused FrameTooLargeError'), peer.lines.join('\n'));
    await peer.waitExit();
  }, { maxFrameSize: 64 * 1024 }));

  it('eight clients at once each keep their own ordered stream', () => session('many', async (s) => {
    const n = 8;
    const count = 3000;
    const peers = Array.from({ length: n }, (_, i) => s.peer('sender', [String(count), '100', 'close', String(i + 1)]));
    const conns = await Promise.all(peers.map(() => s.accept()));
    const order = new OrderChecker();
    const idsPerConn = await Promise.all(conns.map(async (conn) => {
      const ids = new Set<number>();
      for await (const frame of conn) {
        order.check(frame);
        ids.add(readNumbered(frame).id);
      }
      return ids.size;
    }));
    assert.equal(idsPerConn, Array(n).fill(1), 'each connection carries exactly one sender');
    for (let id = 1; id <= n; id++) assert.is(order.next.get(id), count, `sender ${id}`);
    await Promise.all(peers.map((p) => p.waitExit()));
  }));

  it('the hub feeds eight clients at once, each in order', () => session('fan-out', async (s) => {
    const n = 8;
    const count = 3000;
    const peers = Array.from({ length: n }, () => s.peer('sink', [String(count)]));
    const conns = await Promise.all(peers.map(() => s.accept()));
    await Promise.all(peers.map((p) => p.waitLine(/^ready/)));
    for (let seq = 0; seq < count; seq++) {
      for (const [i, conn] of conns.entries()) if (!conn.write(numbered(i, seq, 100))) await conn.drained();
    }
    await Promise.all(peers.map((p) => p.waitLine(new RegExp(`^got ${count} `), 30_000)));
    for (const p of peers) assert.not.ok(p.lines.some((l) => l.startsWith('bad')), p.lines.join('\n'));
  }));

  if (!caps.durable) {
    it('send() to a peer that does not read waits after a bounded number of bytes', () => session('bounded-send', async (s) => {
      const a = s.peer('blocked-reader');
      const conn = await s.accept();
      await a.waitLine(/^ready/);
      const { pending, bytes } = await fillUntilBlocked(conn, random(MiB), 64 * MiB);
      assert.ok(bytes <= 64 * MiB, `accepted ${bytes} bytes`);
      await conn.close();
      await within(1000, 'the blocked send waking on close()', pending);
    }));

    it('a receiver that stops taking frames makes its peer wait after a bounded number of bytes', () => session('bounded-recv', async (s) => {
      const count = 100;
      const peer = s.peer('flood', [String(count), String(MiB)]);
      const conn = await s.accept();
      const frames = conn[Symbol.asyncIterator]();
      assert.is(readNumbered(await nextFrame(frames, 'the first frame')).seq, 0);
      // Take nothing more: the sender must stall well before it has sent everything.
      await peer.waitLine(/^sent 2$/);
      await quiet(peer.lines, 1000, 'the sender stalling');
      const sent = peer.lines.filter((l) => l.startsWith('sent ')).length;
      assert.ok(sent < 64, `the sender got ${sent} frames of 1 MiB accepted while the receiver took one`);
      for (let seq = 1; seq < count; seq++) assert.is(readNumbered(await nextFrame(frames, `frame ${seq}`)).seq, seq);
      await peer.waitExit();
    }));
  }
}
