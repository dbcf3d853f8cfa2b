/**
 * Bus-suite cases for zero-copy loans (docs/zero-copy.md): `loan()` / `publish()` and
 * `subscribe(pattern, { zeroCopy: true })` behave the same on every scheme; on `shm://` the bytes
 * stay in the publisher's pool, elsewhere they travel as a copy. Written against the public API.
 */
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../bus/bus.js';
import { ClosedError, SampleError } from '../../errors.js';
import type { SampleMessage } from '../../zero-copy/sample.js';
import { rejectsWith, until } from './watchdog.js';

export interface LoanContext {
  readonly test: Test;
  readonly open: Array<{ close(): Promise<void> }>;
  hubOn(label: string, options?: object): Promise<{ hub: Bus; url: string }>;
  inProcessClient(name: string, body: () => Promise<void>): void;
}

/** Fills `bytes` with a pattern of sample `i`, so a torn or mixed-up sample shows. */
function fill(bytes: Uint8Array, i: number): void {
  for (let k = 0; k < bytes.length; k++) bytes[k] = (i * 31 + k) & 255;
}
function intact(bytes: Uint8Array, i: number): boolean {
  for (let k = 0; k < bytes.length; k++) if (bytes[k] !== ((i * 31 + k) & 255)) return false;
  return true;
}

export function loanCases(ctx: LoanContext): void {
  const { test, open, hubOn, inProcessClient } = ctx;

  test('loan: the hub bus loans, publishes and gets its own samples on a zeroCopy subscription; misuse is a SampleError', async () => {
    const { hub } = await hubOn('loanhub');
    const got: SampleMessage[] = [];
    hub.subscribe('cam.*', { zeroCopy: true }).subscribe((m) => got.push(m));
    await hub.flush();
    const sizes = [0, 1, 4096, 70_000];
    for (let i = 0; i < sizes.length; i++) {
      const s = await hub.loan('cam.a', sizes[i]!);
      assert.is(s.data.length, sizes[i]);
      fill(s.data, i);
      await s.publish();
      assert.throws(() => s.data, (e: unknown) => e instanceof SampleError);
      await rejectsWith(() => s.publish(), SampleError);
    }
    await hub.flush();
    await until('4 samples', () => got.length >= 4, 30_000);
    got.forEach((m, i) => {
      assert.is(m.topic, 'cam.a');
      assert.ok(m.data instanceof Uint8Array && m.data.length === sizes[i] && intact(m.data, i), `sample ${i} intact`);
      m[Symbol.dispose]();
      m.release();
      assert.not.ok(m.held, 'released');
    });
    const unused = await hub.loan('cam.a', 10);
    unused.release();
    await rejectsWith(() => unused.publish(), SampleError);
    await rejectsWith(() => hub.loan('cam.a', -1), RangeError);
    await rejectsWith(() => hub.loan('cam.*', 1), Error);
  });

  inProcessClient('loan: samples from a client reach a zeroCopy subscriber and an ordinary one intact, 200 of them', async () => {
    const { url } = await hubOn('loanclients');
    const pub = await Bus.connect(url);
    open.push(pub);
    const zc = await Bus.connect(url);
    open.push(zc);
    const plain = await Bus.connect(url);
    open.push(plain);
    let bad = 0;
    let zcCount = 0;
    zc.subscribe('v.>', { zeroCopy: true }).subscribe((m) => {
      if (!intact(m.data, zcCount) || m.data.length !== 100_000) bad++;
      zcCount++;
      m.release(); // given back at once, as a receiver should
    });
    const plainGot: Uint8Array[] = [];
    plain.subscribe('v.>').subscribe((m) => plainGot.push(m.data as Uint8Array));
    await zc.flush();
    await plain.flush();
    for (let i = 0; i < 200; i++) {
      const s = await pub.loan('v.x', 100_000, { timeout: 30_000 });
      fill(s.data, i);
      await s.publish();
    }
    await pub.flush();
    await until('200 each', () => zcCount >= 200 && plainGot.length >= 200, 60_000);
    assert.is(bad, 0, 'no zero-copy sample torn or mixed up');
    assert.ok(plainGot.every((d, i) => d.length === 100_000 && intact(d, i)), 'ordinary copies intact');
  });
  inProcessClient('tryLoan: a client loans without waiting, publishes without awaiting each, 300 samples arrive intact and in order; misuse throws', async () => {
    const { url } = await hubOn('tryloan');
    // On shm:// a pool of 16 blocks (8 samples of 70,000 bytes): 32 loans between awaits fill it.
    const shm = url.startsWith('shm:');
    const pub = await Bus.connect(shm ? `${url}${url.includes('?') ? '&' : '?'}pool=1MiB` : url);
    open.push(pub);
    const zc = await Bus.connect(url);
    open.push(zc);
    let bad = 0;
    let got = 0;
    zc.subscribe('t.>', { zeroCopy: true }).subscribe((m) => {
      if (m.data.length !== 70_000 || !intact(m.data, got)) bad++;
      got++;
      m.release();
    });
    await zc.flush();
    let last: Promise<void> | undefined;
    let waited = 0;
    for (let i = 0; i < 300; i++) {
      // A full pool (shm://) is undefined, never a wait: then the waiting loan() takes over.
      let s = pub.tryLoan('t.x', 70_000);
      if (s === undefined) {
        waited++;
        s = await pub.loan('t.x', 70_000, { timeout: 30_000 });
      }
      assert.is(s.data.length, 70_000);
      fill(s.data, i);
      last = s.publish();
      if (i % 32 === 31) await last;
    }
    await last;
    await pub.flush();
    await until('300 samples', () => got >= 300, 60_000);
    assert.is(bad, 0, `no sample torn, mixed up or out of order (${waited} loans waited)`);
    if (shm) assert.ok(waited > 0, 'a full pool made tryLoan() return undefined');
    const unused = pub.tryLoan('t.x', 10);
    assert.ok(unused, 'a loan with the pool free');
    unused!.release();
    await rejectsWith(() => unused!.publish(), SampleError);
    assert.throws(() => pub.tryLoan('t.x', -1), (e: unknown) => e instanceof RangeError);
    assert.throws(() => pub.tryLoan('t.*', 1), (e: unknown) => e instanceof Error);
    await pub.close();
    assert.throws(() => pub.tryLoan('t.x', 1), (e: unknown) => e instanceof ClosedError);
  });
}
