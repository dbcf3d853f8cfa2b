/**
 * Transport suite, failure cases: garbage, peers that exit, die, stop or never read.
 * @module
 */
import * as assert from 'uvu/assert';
import { ClosedError, PeerGoneError } from '../../errors.js';
import { reportsFill } from '../../transports/capabilities.js';
import { within } from './watchdog.js';
import { endedAs, fillUntilBlocked, random, roundTrip, stillPending, type CaseContext } from './checks.js';
import { OrderChecker } from './roles.js';

export function failureCases({ fixture, caps, it, session, seesPeerDeath }: CaseContext): void {
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
    if (reportsFill(connA)) {
      // Chosen by capability: a connection that reports its fill says its medium is not empty.
      const fill = connA.fill();
      assert.ok(fill > 0 && fill <= 1, `fill() of a blocked connection: ${fill}`);
    }
    const framesB = connB[Symbol.asyncIterator]();
    for (let i = 0; i < 300; i++) await roundTrip(connB, framesB, random(1 + i * 13), `echo ${i} beside a stalled peer`);
    assert.ok(await stillPending(pendingA, 10), 'the stalled peer still holds its send');
    await within(15_000, 'close() with a blocked send', connA.close());
    const woke = await within(1000, 'the blocked send waking on close()', pendingA);
    assert.ok(woke === 'resolved' || woke.startsWith('rejected'), woke);
    endedAs((await connA.closed).reason, 'clean');
    await roundTrip(connB, framesB, random(10), 'echo after closing the stalled peer');
  }));
}
