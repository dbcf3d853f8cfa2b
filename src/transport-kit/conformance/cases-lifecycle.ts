/**
 * Transport suite, lifecycle cases: close() wakes waits, `closed`, listener close, dispose, URLs, stale hubs, credentials.
 * @module
 */
import * as assert from 'uvu/assert';
import { ClosedError, HubRunningError, InvalidUrlError } from '../../errors.js';
import type { Connection } from '../../transports/transport.js';
import { canSpawn, provenPeer, provesPeer } from '../../transports/capabilities.js';
import { ChildSet, preloadArgs, spawnNode } from './processes.js';
import { within } from './watchdog.js';
import { endedAs, outcome, random, roundTrip, stillPending, type CaseContext } from './checks.js';
import type { TransportFixture } from './fixture.js';
import { HUB_SCRIPT, startPeer, withSession, type Session } from './session.js';

export function lifecycleCases({ fixture, caps, it, session }: CaseContext): void {
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
      assert.is(canSpawn(listener), caps.spawnsClients, 'a listener starts clients (SpawningListener) exactly when capabilities.spawnsClients');
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
        const hub = spawnNode(HUB_SCRIPT, [], { UNIBUS_URL: url }, preloadArgs(fixture));
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

  it('a client connection hands back unsent frames (DurableHandBack) exactly when the transport is durable', () => session('caps', async (s) => {
    const peer = s.peer('capabilities');
    await s.accept();
    const line = await peer.waitLine(/^caps /);
    assert.match(line, new RegExp(` handsBack=${caps.durable}( |$)`), line);
  }));

  it('proven peer credentials (PeerProver, where a connection has it) name the real peer', () => session('proven', async (s) => {
    const peer = s.peer('echo');
    const conn = await s.accept();
    await peer.waitLine(/^ready/);
    const cred = provenPeer(conn);
    if (!provesPeer(conn) || cred === undefined) return; // this connection proves nothing: nothing to check
    assert.is(cred.pid, peer.pid ?? process.pid);
    if (cred.uid !== undefined) assert.is(cred.uid, process.getuid!());
    if (cred.gid !== undefined) assert.is(cred.gid, process.getgid!());
  }));

  /** A session on a given URL (the stale-hub case reuses the URL of the killed hub). */
  async function withSessionOn(url: string, body: (s: Session) => Promise<void>): Promise<void> {
    const fixed: TransportFixture = { ...fixture, url: () => url };
    await withSession(fixed, 'unused', undefined, body);
  }
}
