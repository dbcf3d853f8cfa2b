/**
 * A receiver whose connection to the hub ends closes every pool it mapped (its samples are
 * revoked); when it comes back, samples of a publisher that never left (the same pool, the same
 * name) must be mapped again, not read through the closed mapping of the earlier connection.
 * The hub drops the receiver itself (a sample held past the hub's maxHold), so the hub and the
 * publisher stay up the whole time.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import type { BusEvent } from '../../src/bus/events.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../../src/transport-kit/conformance/watchdog.js';

test('a receiver dropped by the hub and reconnected gets samples of the same pool again, whole', async () => {
  const name = uniqueName('zcrs');
  const url = `shm://${name}?pool=1MiB`;
  const hub = await Bus.listen(url, { maxHold: 300 });
  const open: Bus[] = [hub];
  try {
    const pub = await Bus.connect(url, { reconnect: false });
    open.push(pub);
    const sub = await Bus.connect(url, { reconnect: { initialDelay: 10, maxDelay: 50 } });
    open.push(sub);
    const events: BusEvent[] = [];
    sub.events.subscribe((e) => events.push(e));
    const got: number[] = [];
    const bad: string[] = [];
    let kept: SampleMessage | undefined;
    sub.subscribe('z.frame', { zeroCopy: true, maxHold: 0 }).subscribe((m: SampleMessage) => {
      const d = m.data;
      if (d.length !== 1000) bad.push(`length ${d.length}`);
      else got.push(d[0]!);
      // The first sample is kept: past the hub's maxHold the hub drops this connection.
      if (kept === undefined) kept = m;
      else m.release();
    });
    sub.events.subscribe((e) => { if (e.type === 'bad-payload') bad.push(e.error.message); });
    await sub.flush();

    const send = async (value: number): Promise<void> => {
      const s = await pub.loan('z.frame', 1000, { timeout: 20_000 });
      s.data[0] = value;
      await s.publish();
    };
    await send(1);
    await until('the first sample arrived', () => got.length === 1, 20_000);
    await until('the hub dropped the holder and it came back', () => events.some((e) => e.type === 'reconnected'), 20_000);
    await sub.flush();
    // The same publisher, the same pool: every sample arrives whole on the new connection.
    for (let i = 2; i <= 20; i++) await send(i);
    await until('20 samples arrived', () => got.length >= 20 || bad.length > 0, 20_000);
    assert.equal(bad, [], 'no sample refused or torn after the reconnect');
    assert.equal(got.slice(-19), Array.from({ length: 19 }, (_, i) => i + 2), 'samples 2 to 20 in order');
    assert.is(kept?.held, false, 'the kept sample was revoked with the connection');
  } finally {
    for (const b of open.reverse()) await b.close();
  }
  assert.equal(readdirSync('/dev/shm').filter((n) => n.includes(name)), [], 'nothing of the hub left in /dev/shm');
});

test.run();
