/**
 * Type tests: `npm test` type-checks this file, and every `@ts-expect-error` below must be an
 * error (tsc fails on an unused one). The listed cases are the compile-time guarantees of typed
 * topics; the runtime part checks the same bus really carries the values.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import type { Message, PeerDescription, TopicsMatching } from '../../src/index.js';
import { uniqueName } from '../helpers/run-id.js';

type Topics = {
  'orders.created': { id: string; total: number };
  'orders.cancelled': { id: string; reason: string };
  [k: `sensor.${string}.temp`]: number;
};
type Services = { 'time.now': { request: { tz: string }; response: { iso: string } } };

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const expectType = <T extends true>(_ok?: T): void => undefined;

async function compileTimeCases(bus: Bus<Topics, Services>): Promise<void> {
  await bus.publish('orders.created', { id: 'a', total: 1 });
  await bus.publish('sensor.kitchen.temp', 21.5);
  // @ts-expect-error case 1: wrong payload type for a known topic
  await bus.publish('orders.created', { id: 'a' });
  // @ts-expect-error case 2: wrong payload type for a template-literal topic
  await bus.publish('sensor.kitchen.temp', 'warm');
  // @ts-expect-error case 3: unknown topic
  await bus.publish('orders.updated', { id: 'a' });
  // @ts-expect-error case 4: a pattern that matches no topic of this bus
  bus.subscribe('payments.*');
  // @ts-expect-error case 5: request with the wrong request type
  await bus.request('time.now', { zone: 'UTC' });
  // @ts-expect-error case 6: request to a topic that is not a service
  await bus.request('orders.created', { tz: 'UTC' });
  // @ts-expect-error case 7: a server returning the wrong response type
  bus.serve('time.now', () => ({ iso: 42 }));
  // @ts-expect-error case 8: a server expecting the wrong request type
  bus.serve('time.now', (req: { zone: string }) => ({ iso: req.zone }));
  // @ts-expect-error case 9: serving a topic that is not a service
  bus.serve('orders.created', () => ({ iso: 'x' }));
  // @ts-expect-error case 10: a server in a queue group returning a promise of the wrong type
  bus.serve('time.now', async () => ({ iso: 1 }), { queue: 'clocks' });
  bus.serve('time.now', async ({ tz }) => ({ iso: tz }), { queue: 'clocks' });
  // System topics are open to every bus, typed: presence.
  bus.subscribe('$sys.peers').subscribe((m) => expectType<Equal<typeof m.data, PeerDescription[]>>());

  // Wildcards yield the union of the payloads of every topic they can match.
  const orders = bus.subscribe('orders.*');
  orders.subscribe((m) => {
    expectType<Equal<typeof m, Message<{ id: string; total: number } | { id: string; reason: string }>>>();
  });
  const temps = bus.subscribe('sensor.*.temp');
  temps.subscribe((m) => expectType<Equal<typeof m.data, number>>());
  const all = bus.subscribe('>');
  all.subscribe((m) => expectType<Equal<typeof m.data, Topics[keyof Topics]>>());
  expectType<Equal<TopicsMatching<Topics, 'orders.>'>, 'orders.created' | 'orders.cancelled'>>();
  const now = await bus.request('time.now', { tz: 'UTC' });
  expectType<Equal<typeof now, { iso: string }>>();
}
void compileTimeCases;

test('a typed bus carries typed values end to end', async () => {
  const url = `memory://${uniqueName('types')}`;
  await using hub = await Bus.listen<Topics, Services>(url);
  await using bus = await Bus.connect<Topics, Services>(url);
  hub.serve('time.now', ({ tz }) => ({ iso: `2026-11-25T00:00:00 ${tz}` }));
  const got: number[] = [];
  bus.subscribe('sensor.*.temp').subscribe((m) => got.push(m.data));
  await bus.flush();
  await hub.publish('sensor.attic.temp', 18.5);
  assert.equal(await bus.request('time.now', { tz: 'UTC' }), { iso: '2026-11-25T00:00:00 UTC' });
  await hub.flush();
  await bus.flush();
  assert.equal(got, [18.5]);
});

test.run();
