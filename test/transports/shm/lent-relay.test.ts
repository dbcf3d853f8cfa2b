/**
 * Relaying over shm with lent frames (src/transports/frame-lending.ts, src/bus/hub/lent-forward.ts):
 * a PUB that only passes through the hub is routed from a scratch buffer reused for every
 * frame, so nothing may keep it. Real processes over real rings: a publisher, a subscriber that
 * keeps up and one that stops reading now and then (its ring fills, frames wait in its outbox),
 * while the hub's own subscription comes and goes (those frames take the owned path) and frames
 * larger than a ring record (pieces, never lent) mix with small ones. Every subscriber gets
 * every payload intact, in order.
 */
import { test } from 'uvu';
import { uniqueName } from '../../helpers/run-id.js';
import { relayScenario } from './relay-scenario.js';

test('relayed frames arrive intact and in order at every subscriber, whichever path each took', async () => {
  // 64 KiB rings: records up to 16 KiB, so 20 KB and 70 KB payloads go in pieces.
  const url = `shm://${uniqueName('lent-relay')}?size=64KiB`;
  await relayScenario(url);
});

test.run();
