/**
 * The hub's own publishes reach the router by reference (src/bus/hub/local-route.ts): not
 * copied, not decoded again. What must not change: every size (inline and two-chunk frames)
 * arrives whole and in order at remote and local subscribers, interleaved with the hub's own
 * subscribe and flush; a payload changed after publish() is not what is received; queue groups
 * get QPUBs of two-chunk frames right; a hub that publishes far past backpressure loses nothing.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import { uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';

// A 254-byte payload (256 encoded: SMALL_OWN_PAYLOAD) is the last sent as an ordinary frame, 255 the first by reference.
const SIZES = [0, 16, 254, 255, 256, 1024, 1025, 4096, 100_000];

function bytes(size: number, seed: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

async function pair(): Promise<{ hub: Bus; client: Bus }> {
  const url = `memory://${uniqueName('own-pub')}`;
  const hub = await Bus.listen(url);
  const client = await Bus.connect(url);
  return { hub, client };
}

function collect(bus: Bus, pattern: string, into: Uint8Array[], options = {}): { unsubscribe(): void } {
  return bus.subscribe(pattern, options).subscribe({ next: (m) => { into.push(m.data as Uint8Array); } });
}

async function until(done: () => boolean, label: string): Promise<void> {
  await within(10_000, label, (async () => { while (!done()) await new Promise((r) => setTimeout(r, 5)); })());
}

test('every size reaches a remote and a local subscriber whole, in order; later changes to the payload do not', async () => {
  const { hub, client } = await pair();
  const remote: Uint8Array[] = [];
  collect(client, 'own.a', remote);
  await within(5000, 'client flush', client.flush());
  const local: Uint8Array[] = [];
  const sent: Uint8Array[] = [];
  // Subscribe and publish in the same turn: the hub's SUB still goes first.
  collect(hub, 'own.a', local);
  for (let round = 0; round < 3; round++) {
    for (const size of SIZES) {
      const payload = bytes(size, round + size);
      sent.push(payload.slice());
      hub.publish('own.a', payload);
      payload.fill(0xee); // the caller may reuse its buffer at once
    }
  }
  await within(5000, 'hub flush', hub.flush());
  await until(() => remote.length === sent.length && local.length === sent.length, 'deliveries');
  for (let i = 0; i < sent.length; i++) {
    assert.equal(remote[i], sent[i], `remote #${i} (${sent[i]!.length} B)`);
    assert.equal(local[i], sent[i], `local #${i} (${sent[i]!.length} B)`);
  }
  await client.close();
  await hub.close();
});

test('queue groups: each two-chunk publish of the hub goes to exactly one member, whole', async () => {
  const { hub, client } = await pair();
  const a: Uint8Array[] = [];
  const b: Uint8Array[] = [];
  collect(client, 'own.q', a, { queue: 'workers' });
  collect(hub, 'own.q', b, { queue: 'workers' });
  await within(5000, 'client flush', client.flush());
  await within(5000, 'hub flush', hub.flush());
  const n = 40;
  for (let i = 0; i < n; i++) hub.publish('own.q', bytes(4096, i));
  await until(() => a.length + b.length === n, 'queue deliveries');
  assert.ok(a.length > 0 && b.length > 0, `both members served (${a.length}, ${b.length})`);
  const seeds = [...a, ...b].map((m) => { assert.is(m.length, 4096); return m[0]!; }).sort((x, y) => x - y);
  assert.equal(seeds, Array.from({ length: n }, (_, i) => i), 'each message exactly once');
  await client.close();
  await hub.close();
});

test('a hub publishing 24 MiB to a subscriber that reads later loses nothing and keeps the order', async () => {
  const { hub, client } = await pair();
  const got: number[] = [];
  let expectedBytes = 0;
  const sub = client.subscribe('own.big').subscribe({ next: (m) => { got.push((m.data as Uint8Array)[0]!); } });
  await within(5000, 'client flush', client.flush());
  const n = 384; // 64 KiB each
  const sends = (async () => {
    for (let i = 0; i < n; i++) {
      const wait = hub.publish('own.big', bytes(65536, i));
      expectedBytes += 65536;
      if (wait) await wait;
    }
  })();
  await within(30_000, 'publishes accepted', sends);
  await until(() => got.length === n, 'all delivered');
  assert.equal(got, Array.from({ length: n }, (_, i) => i & 0xff));
  assert.is(expectedBytes, n * 65536);
  sub.unsubscribe();
  await client.close();
  await hub.close();
});

test.run();
