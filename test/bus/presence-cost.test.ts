/**
 * Presence costs linear traffic (issue 13, item 4): when many peers join, a client receives
 * PEERS/PEERS_DELTA bytes in proportion to the joins, not to joins x peers (it was quadratic:
 * the whole list to everyone on every join). The observer is a raw protocol client, so the bytes
 * counted are the bytes the hub wrote; a Bus client checks that presence still works through it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/bus/bus.js';
import type { BusEvent } from '../../src/bus/events.js';
import { RawHubClient, T } from '../helpers/raw-hub-client.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

const open: Array<{ close(): unknown }> = [];

test.after.each(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** A raw client that keeps the peer list from PEERS and PEERS_DELTA, as docs/protocol.md says. */
async function observer(path: string): Promise<{ raw: RawHubClient; peers: Map<string, string>; bytes: () => number }> {
  const raw = await RawHubClient.open(path, 'observer');
  open.push(raw);
  const peers = new Map<string, string>();
  raw.onMessage = (msg) => {
    if (msg[0] === T.PEERS) {
      peers.clear();
      for (const [id, name] of msg[1] as Array<[string, string]>) peers.set(id, name);
    } else if (msg[0] === T.PEERS_DELTA) {
      for (const [id, name] of msg[1] as Array<[string, string]>) peers.set(id, name);
      for (const id of msg[2] as string[]) peers.delete(id);
    }
  };
  await until('the observer\'s first list', () => peers.size > 0, 30_000);
  return { raw, peers, bytes: () => raw.count(T.PEERS).bytes + raw.count(T.PEERS_DELTA).bytes };
}

const named = (peers: Map<string, string>, prefix: string): number => [...peers.values()].filter((n) => n.startsWith(prefix)).length;

test('200 joins and 200 leaves: the PEERS traffic a client receives is linear, and presence stays right', async () => {
  const path = `/tmp/${uniqueName('presence-cost')}.sock`;
  const hub = await Bus.listen(`unix://${path}`);
  open.push(hub);
  const watcher = await Bus.connect(`unix://${path}`, { name: 'watcher' });
  open.push(watcher);
  const events: BusEvent[] = [];
  watcher.events.subscribe((e) => events.push(e));
  const obs = await observer(path);
  const start = obs.bytes();
  const joins = 200;
  const joiners: RawHubClient[] = [];
  for (let i = 0; i < joins; i++) {
    const j = await RawHubClient.open(path, `joiner-${i}`, { countOnly: true });
    joiners.push(j);
    open.push(j);
  }
  await until('the observer lists every joiner', () => named(obs.peers, 'joiner-') === joins, 60_000);
  await until('the Bus client lists every joiner', () => watcher.peers().filter((p) => p.name.startsWith('joiner-')).length === joins, 60_000);
  assert.is(hub.peers().filter((p) => p.name.startsWith('joiner-')).length, joins, 'hub.peers()');
  const joinBytes = obs.bytes() - start;
  for (const j of joiners) j.close();
  await until('the observer lists no joiner', () => named(obs.peers, 'joiner-') === 0, 60_000);
  await until('the Bus client lists no joiner', () => !watcher.peers().some((p) => p.name.startsWith('joiner-')), 60_000);
  const allBytes = obs.bytes() - start;
  const ofJoiners = (type: string) => events.filter((e) => e.type === type && 'peer' in e && e.peer?.name.startsWith('joiner-')).length;
  assert.is(ofJoiners('peer-joined'), joins, 'one peer-joined per joiner on a Bus client');
  assert.is(ofJoiners('peer-left'), joins, 'one peer-left per joiner on a Bus client');
  // One entry is ~30 bytes; the whole list to everyone on every change made this ~600 KB for
  // the joins alone (sum of 1..200 entries). Linear: a bounded number of bytes per change.
  console.log(`PEERS traffic to one client: ${joinBytes} bytes for ${joins} joins, ${allBytes} bytes with the leaves`);
  assert.ok(joinBytes < 100 * joins + 4096, `joins cost ${joinBytes} bytes: not linear`);
  assert.ok(allBytes < 100 * 2 * joins + 8192, `joins and leaves cost ${allBytes} bytes: not linear`);
});

test('peers that join and leave at once leave no stale entry behind (coalesced deltas)', async () => {
  const path = `/tmp/${uniqueName('presence-flash')}.sock`;
  const hub = await Bus.listen(`unix://${path}`);
  open.push(hub);
  const watcher = await Bus.connect(`unix://${path}`, { name: 'watcher' });
  open.push(watcher);
  const obs = await observer(path);
  for (let i = 0; i < 20; i++) {
    const f = await RawHubClient.open(path, `flash-${i}`, { countOnly: true });
    await until('the hub has it', () => hub.peers().some((p) => p.name === `flash-${i}`), 30_000);
    f.close();
  }
  await until('the hub lists no flash peer', () => !hub.peers().some((p) => p.name.startsWith('flash-')), 30_000);
  // Deltas arrive in order: once a later joiner shows, every earlier change has been applied.
  const marker = await RawHubClient.open(path, 'marker', { countOnly: true });
  open.push(marker);
  await until('the observer sees the marker', () => named(obs.peers, 'marker') === 1, 30_000);
  await until('the Bus client sees the marker', () => watcher.peers().some((p) => p.name === 'marker'), 30_000);
  assert.is(named(obs.peers, 'flash-'), 0, 'no stale entry on a raw client');
  assert.not.ok(watcher.peers().some((p) => p.name.startsWith('flash-')), 'no stale entry on a Bus client');
});

test.run();
