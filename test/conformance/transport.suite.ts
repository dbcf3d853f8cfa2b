/**
 * The Transport conformance suite: the guarantees of src/transports/transport.ts, checked
 * through a fixture (fixture.ts) and nothing else. Cases are chosen by capability, never by
 * scheme. Peers are child processes when `capabilities.crossProcess`, in-process roles otherwise.
 * @module
 */
import { randomFillSync } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClosedError, FrameTooLargeError, HubRunningError, InvalidUrlError, PeerGoneError } from '../../src/errors.js';
import type { Connection } from '../../src/transports/transport.js';
import { ChildSet, spawnNode } from '../helpers/processes.js';
import { within } from '../helpers/watchdog.js';
import type { TransportFixture } from './fixture.js';
import { numbered, OrderChecker, readNumbered, text, untext } from './roles.js';
import { HUB_SCRIPT, startPeer, withSession, type Session } from './session.js';

/** Every case must finish within this, or it fails (the runner's watchdog is the last resort). */
const CASE_WATCHDOG_MS = 120_000;
const MiB = 1024 * 1024;

const random = (size: number): Uint8Array => randomFillSync(new Uint8Array(size));

/** The next frame of an iterator, under a watchdog. */
async function nextFrame(it: AsyncIterator<Uint8Array>, what: string, ms = 20_000): Promise<Uint8Array> {
  const r = await within(ms, what, it.next());
  if (r.done) throw new Error(`connection ended while waiting for ${what}`);
  return r.value;
}

/** Sends `frame` to an echo peer and checks the same bytes come back. */
async function roundTrip(conn: Connection, it: AsyncIterator<Uint8Array>, frame: Uint8Array, what: string): Promise<void> {
  await conn.send(frame);
  const back = await nextFrame(it, what);
  assert.ok(Buffer.from(back).equals(Buffer.from(frame)), `${what}: echoed bytes differ (sent ${frame.length}, got ${back.length})`);
}

/** Settles to a word, so a test can tell pending from resolved from rejected. */
function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (err: unknown) => `rejected ${err instanceof Error ? err.constructor.name : typeof err}`);
}
const stillPending = async (p: Promise<string>, ms = 300): Promise<boolean> =>
  (await Promise.race([p, new Promise((r) => setTimeout(() => r('pending'), ms))])) === 'pending';

/** Writes `chunk` until the medium towards an unread peer is full; returns the send that waits. */
async function fillUntilBlocked(conn: Connection, chunk: Uint8Array): Promise<{ pending: Promise<string> }> {
  // "Full" may first mean a local high-water mark that drains into the kernel: keep going until
  // a send really waits on the peer.
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 100_000 && conn.write(chunk); i++);
    const pending = outcome(conn.send(chunk));
    if (await stillPending(pending, 300)) return { pending };
    assert.is(await pending, 'resolved');
  }
  throw new Error('a send to a peer that does not read should wait, but every send resolved');
}

/** Registers every case of the suite for `fixture` and runs it. */
export function transportSuite(fixture: TransportFixture): void {
  const caps = fixture.capabilities;
  const test = suite(`transport ${fixture.scheme}`);
  const names = new Set<string>();
  const it = (name: string, body: () => Promise<void>): void => {
    if (names.has(name)) throw new Error(`duplicate case name: ${name}`);
    names.add(name);
    test(name, () => within(CASE_WATCHDOG_MS, name, body()));
  };
  const session = (label: string, body: (s: Session) => Promise<void>, options?: { maxFrameSize?: number }): Promise<void> =>
    withSession(fixture, label, options, body);
  const endedAs = (reason: string, ...allowed: string[]): void =>
    assert.ok(allowed.includes(reason), `closed.reason=${reason}, expected one of ${allowed.join('|')}`);
  // In-process, a peer's destroy is always seen; across processes only with peer-death events.
  const seesPeerDeath = caps.peerDeathEvents || !caps.crossProcess;

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

  if (fixture.injectGarbage) {
    const inject = fixture.injectGarbage;
    it('garbage from a raw peer closes that connection only (reason protocol)', () => session('garbage', async (s) => {
      const a = s.peer('echo');
      const connA = await s.accept();
      await a.waitLine(/^ready/);
      const framesA = connA[Symbol.asyncIterator]();
      await roundTrip(connA, framesA, random(100), 'echo before the garbage');
      const injected = inject(s.url, s.listener);
      const bad = await s.accept();
      const badFrames: Uint8Array[] = [];
      for await (const f of bad) badFrames.push(f);
      const end = await bad.closed;
      assert.is(end.reason, 'protocol', `the garbage connection ended with ${end.reason}`);
      assert.is(badFrames.length, 0, 'garbage yields no frame');
      await within(10_000, 'injectGarbage finishing', injected);
      for (let i = 0; i < 50; i++) await roundTrip(connA, framesA, random(1 + i * 97), `echo ${i} after the garbage`);
      const b = s.peer('echo');
      const connB = await s.accept();
      await b.waitLine(/^ready/);
      await roundTrip(connB, connB[Symbol.asyncIterator](), random(1000), 'a new client after the garbage');
    }));
  }

  for (const then of ['exit', 'kill'] as const) {
    const how = then === 'exit' ? 'exits' : 'is SIGKILLed';
    it(`a peer that ${how} right after its last send() resolved loses no frame`, () => session(`gone-${then}`, async (s) => {
      const count = 5000;
      const peer = s.peer('sender', [String(count), '1000', then, '9']);
      const conn = await s.accept();
      const order = new OrderChecker();
      for await (const frame of conn) order.check(frame);
      assert.is(order.count, count, `frames delivered of a peer that ${how}`);
      if (seesPeerDeath) endedAs((await conn.closed).reason, 'peer-gone');
      assert.not.ok(peer.lines.some((l) => l.startsWith('sent')), 'the sender left without printing');
    }));
  }

  if (caps.crossProcess && caps.peerDeathEvents) {
    it('a SIGKILLed peer is noticed: pending receive ends, closed is peer-gone, send fails', () => session('sigkill', async (s) => {
      const peer = s.peer('echo');
      const conn = await s.accept();
      await peer.waitLine(/^ready/);
      const frames = conn[Symbol.asyncIterator]();
      await roundTrip(conn, frames, random(64), 'echo before the kill');
      const pending = frames.next();
      peer.kill('SIGKILL');
      const r = await within(15_000, 'pending receive ending after SIGKILL', pending);
      assert.ok(r.done, 'iteration ends');
      endedAs((await within(15_000, 'closed after SIGKILL', conn.closed)).reason, 'peer-gone');
      const sent = await conn.send(random(10)).then(() => undefined, (err: unknown) => err);
      assert.ok(sent instanceof PeerGoneError || sent instanceof ClosedError, `send after peer death: ${String(sent)}`);
    }));

    it('a SIGSTOPped peer with a full medium does not stop traffic with another', () => session('sigstop', async (s) => {
      const a = s.peer('echo');
      const connA = await s.accept();
      await a.waitLine(/^ready/);
      const b = s.peer('echo');
      const connB = await s.accept();
      await b.waitLine(/^ready/);
      a.kill('SIGSTOP');
      connA.consume(() => undefined);
      const { pending: pendingA } = await fillUntilBlocked(connA, random(1024));
      const framesB = connB[Symbol.asyncIterator]();
      for (let i = 0; i < 300; i++) await roundTrip(connB, framesB, random(1 + i * 13), `echo ${i} with the other peer stopped`);
      assert.ok(await stillPending(pendingA, 10), 'the stopped peer still holds its send');
      a.kill('SIGCONT');
      assert.is(await within(20_000, 'the stopped peer draining after SIGCONT', pendingA), 'resolved');
    }));
  }

  it('a peer that never reads does not stop traffic; close() wakes the blocked send', () => session('stalled', async (s) => {
    const a = s.peer('blocked-reader');
    const connA = await s.accept();
    await a.waitLine(/^ready/);
    const b = s.peer('echo');
    const connB = await s.accept();
    await b.waitLine(/^ready/);
    const { pending: pendingA } = await fillUntilBlocked(connA, random(1024));
    const framesB = connB[Symbol.asyncIterator]();
    for (let i = 0; i < 300; i++) await roundTrip(connB, framesB, random(1 + i * 13), `echo ${i} beside a stalled peer`);
    assert.ok(await stillPending(pendingA, 10), 'the stalled peer still holds its send');
    await within(15_000, 'close() with a blocked send', connA.close());
    const woke = await within(1000, 'the blocked send waking on close()', pendingA);
    assert.ok(woke === 'resolved' || woke.startsWith('rejected'), woke);
    endedAs((await connA.closed).reason, 'clean');
    await roundTrip(connB, framesB, random(10), 'echo after closing the stalled peer');
  }));

  it('close() wakes a pending receive, and the peer sees the end', () => session('close-recv', async (s) => {
    const peer = s.peer('echo');
    const conn = await s.accept();
    await peer.waitLine(/^ready/);
    const pending = conn[Symbol.asyncIterator]().next();
    assert.ok(await stillPending(outcome(pending), 100), 'nothing to receive yet');
    await within(15_000, 'close() with a pending receive', conn.close());
    const r = await within(1000, 'the pending receive waking on close()', pending);
    assert.ok(r.done, 'iteration ends on close()');
    endedAs((await conn.closed).reason, 'clean');
    await peer.waitLine(/^end /);
    await peer.waitExit();
  }));

  it('close() wakes a blocked send and a pending receive, then the process exits on its own', () => session('close-wakes', async (s) => {
    const peer = s.peer('close-wakes');
    await s.accept(); // accepted but never read nor written: the peer's send blocks
    await peer.waitLine(/^closed /, 30_000);
    const line = (p: string): string => peer.lines.find((l) => l.startsWith(p)) ?? `(no ${p} line)`;
    assert.match(line('blocked '), / pending$/, 'the send waited while the medium was full');
    assert.match(line('send '), /^send (resolved|rejected (ClosedError|PeerGoneError))$/);
    assert.is(line('next '), 'next done');
    assert.is(line('closed '), 'closed clean');
    await peer.waitExit(20_000); // no process.exit in the peer: nothing may keep it alive
  }));

  it('closed resolves once and never rejects, whatever ends the connection', () => session('closed', async (s) => {
    const a = s.peer('echo');
    const connA = await s.accept();
    const b = s.peer('echo');
    const connB = await s.accept();
    await Promise.all([a.waitLine(/^ready/), b.waitLine(/^ready/)]);
    const cause = new Error('test destroys this connection');
    connA.destroy('protocol', cause);
    connA.destroy('error');
    const endA = await within(5000, 'closed after destroy()', connA.closed);
    assert.is(endA.reason, 'protocol');
    assert.is(endA.error, cause);
    await connA.close();
    assert.is(await connA.closed, endA, 'closed keeps its first value');
    await Promise.all([connB.close(), connB.close()]);
    await connB.close();
    assert.is((await connB.closed).reason, 'clean');
    assert.instance(await connB.send(random(1)).then(() => undefined, (e: unknown) => e), ClosedError);
    assert.throws(() => connB.write(random(1)), (e: unknown) => e instanceof ClosedError);
    await Promise.all([a.waitExit(), b.waitExit()]);
  }));

  it('listener.close() wakes a pending accept, ends every connection, and leaves nothing', async () => {
    const url = fixture.url('listener-close');
    const listener = await fixture.listen(url);
    const children = new ChildSet();
    try {
      const accepting = listener[Symbol.asyncIterator]();
      const peers = [0, 1, 2].map(() => startPeer(fixture, listener, url, children, 'echo'));
      const conns: Connection[] = [];
      for (let i = 0; i < peers.length; i++) conns.push((await within(20_000, 'accept', accepting.next())).value as Connection);
      await Promise.all(peers.map((p) => p.waitLine(/^ready/)));
      const receiving = conns[0]![Symbol.asyncIterator]().next();
      const nextAccept = accepting.next();
      await within(20_000, 'listener.close() with live connections', listener.close());
      assert.ok((await within(1000, 'pending accept waking', nextAccept)).done, 'accept iteration ends');
      assert.ok((await within(1000, 'pending receive waking', receiving)).done, 'receive iteration ends');
      for (const c of conns) assert.is((await within(1000, 'closed', c.closed)).reason, 'clean');
      // Each client sees the end and exits on its own.
      await Promise.all(peers.map((p) => p.waitExit(20_000)));
      assert.equal(await fixture.leftovers(url), []);
    } finally {
      await children.killAll();
      await listener.close();
    }
  });

  it('Symbol.asyncDispose closes connections and the listener', async () => {
    const url = fixture.url('dispose');
    const children = new ChildSet();
    let conn: Connection | undefined;
    try {
      await using listener = await fixture.listen(url);
      const peer = startPeer(fixture, listener, url, children, 'echo');
      const accepted = await within(20_000, 'accept', listener[Symbol.asyncIterator]().next());
      await using c = accepted.value as Connection;
      conn = c;
      await peer.waitLine(/^ready/);
      await roundTrip(c, c[Symbol.asyncIterator](), random(32), 'echo inside await using');
    } finally {
      await children.killAll();
    }
    assert.is((await within(1000, 'closed after dispose', conn!.closed)).reason, 'clean');
    assert.equal(await fixture.leftovers(url), []);
  });

  it('bad URLs are refused with InvalidUrlError by listen and connect', async () => {
    for (const url of fixture.invalidUrls) {
      const l = await fixture.listen(url).then((x) => x.close().then(() => 'listened'), (e: unknown) => e);
      assert.instance(l, InvalidUrlError, `listen(${JSON.stringify(url)}) gave ${String(l)}`);
      const c = await fixture.connect(url).then((x) => x.close().then(() => 'connected'), (e: unknown) => e);
      assert.instance(c, InvalidUrlError, `connect(${JSON.stringify(url)}) gave ${String(c)}`);
    }
  });

  if (!caps.spawnsClients) {
    it('a second hub on a live URL gets HubRunningError; a dead hub\'s leftovers are replaced', async () => {
      const url = fixture.url('second-hub');
      if (caps.crossProcess) {
        const hub = spawnNode(HUB_SCRIPT, [], { UNIBUS_URL: url });
        try {
          await hub.waitLine(/^listening /);
          assert.instance(await fixture.listen(url).then((l) => l.close(), (e: unknown) => e), HubRunningError);
          hub.kill('SIGKILL');
          await hub.waitExit();
        } finally {
          hub.kill('SIGKILL');
        }
      } else {
        const first = await fixture.listen(url);
        assert.instance(await fixture.listen(url).then((l) => l.close(), (e: unknown) => e), HubRunningError);
        await first.close();
      }
      await withSessionOn(url, async (s) => {
        const peer = s.peer('echo');
        const conn = await s.accept();
        await peer.waitLine(/^ready/);
        await roundTrip(conn, conn[Symbol.asyncIterator](), random(256), 'echo through the replacing hub');
      });
    });
  }

  if (caps.peerIdentity !== 'none') {
    it(`the hub sees the peer's credentials (${caps.peerIdentity})`, () => session('peer', async (s) => {
      const peer = s.peer('echo');
      const conn = await s.accept();
      await peer.waitLine(/^ready/);
      assert.is(conn.peer.pid, peer.pid ?? process.pid);
      if (caps.peerIdentity === 'pid+uid') assert.is(conn.peer.uid, process.getuid!());
    }));
  }

  /** A session on a given URL (the stale-hub case reuses the URL of the killed hub). */
  async function withSessionOn(url: string, body: (s: Session) => Promise<void>): Promise<void> {
    const fixed: TransportFixture = { ...fixture, url: () => url };
    await withSession(fixed, 'unused', undefined, body);
  }

  test.run();
}
