/**
 * HubClient over a connection whose medium is durable: frames before the hub's HELLO are the
 * tail of an earlier session of the same name (a spool); only its PUBs count.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HubClient } from '../../src/bus/hub/client.js';
import { memoryPair } from '../../src/transports/memory/memory-transport.js';
import { encodeBye, encodeHello, encodePeers, encodePong, PROTOCOL_VERSION } from '../../src/bus/protocol/messages.js';
import type { Closed } from '../../src/transports/transport.js';
import { within } from '../helpers/watchdog.js';

test('before the hub HELLO, an earlier session\'s PONG, PEERS and BYE are ignored', async () => {
  const [near, far] = memoryPair(1 << 20);
  let greeted = false;
  far.consume(() => {
    if (greeted) return; // the hub answers nothing else (no PONG for the PING below)
    greeted = true;
    // what a hub wrote for a dead client of this name, then the new hub's greeting
    far.write(encodeBye());
    far.write(encodePeers([['p9', 'ghost', 99999, 'file']]));
    far.write(encodePong(1));
    far.write(encodeHello({ version: PROTOCOL_VERSION, name: 'hub', pid: 1, maxFrameSize: 1 << 20, busId: 'hub:hub' }));
  });
  let lost: Closed | undefined;
  const client = await within(5000, 'open', HubClient.open(near, {
    name: 't', busId: 'b1', transport: 'memory', onLost: (c) => { lost = c; return false; },
  }));
  assert.equal(client.peers(), [], 'a stale PEERS list is not presence');
  const flushed = client.flush({ timeout: 300 });
  assert.not.ok(await flushed.then(() => true, () => false), 'a stale PONG does not answer a new PING');
  await far.close();
  await within(5000, 'lost', (async () => { while (!lost) await new Promise((r) => setTimeout(r, 10)); })());
  assert.is.not(lost!.reason, 'clean', 'a stale BYE does not make an end clean');
  await client.close();
});

test.run();
