/**
 * With `?spin` (latency bought with CPU) a peer whose reader parked after its spin window is rung
 * as soon as a frame is committed, not at the end of the sender's turn: the end of a turn can be a
 * long chain of promise callbacks or, as here, a long synchronous job after the send. (A reader
 * still polling sees a record the moment its length is stored, with or without this.) The peer
 * process marks each frame it reads with a file, which this process sees while its own event
 * loop is busy. Without spin, the ring waits for the end of the turn (one per turn, batched).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { shmTransport } from '../../../src/transports/shm/shm-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { ChildSet, script, spawnNode } from '../../helpers/processes.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

const peer = script(import.meta.url, './shm-peer.js');
const children = new ChildSet();
const dir = mkdtempSync(join(tmpdir(), 'unibus-spin-visible-'));
test.after.each(() => children.killAll());
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Blocks this thread (the event loop included) until `path` exists or `ms` passed. */
function blockUntilExists(path: string, ms: number): boolean {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (existsSync(path)) return true;
    Atomics.wait(nap, 0, 0, 2);
  }
  return existsSync(path);
}

async function sendThenBusy(query: string, busyMs: number): Promise<boolean> {
  const name = uniqueName('spinvis');
  const url = `shm://${name}${query}`;
  const mark = join(dir, name);
  const hub = await shmTransport.listen(url);
  try {
    children.add(spawnNode(peer, ['client-mark', url], { MARK: mark }));
    let conn: Connection | undefined;
    for await (const c of hub) { conn = c; break; }
    const it = conn![Symbol.asyncIterator]();
    // A first round trip: the peer is connected and reading.
    await conn!.send(new Uint8Array([1, 0, 0, 0]));
    await within(10_000, 'first echo', it.next());
    await sleep(100); // the peer's spin window (1 µs) is long over: its reader is parked
    // The send, then a long synchronous job in the same turn (bounded, not a timing assertion:
    // the peer is given 10 s to show it read the frame).
    assert.ok(conn!.write(new Uint8Array([2, 0, 0, 0])));
    const seen = blockUntilExists(`${mark}.2`, busyMs);
    await within(10_000, 'second echo', it.next());
    return seen;
  } finally {
    await hub.close();
  }
}

test('with ?spin a parked peer is rung at the commit, while the sender\'s turn is still running', async () => {
  assert.ok(await sendThenBusy('?spin=1', 10_000), 'the peer never read the frame while the sender was busy');
});

test('without spin the frame still arrives (at the end of the turn)', async () => {
  // Only that it arrives: whether it is seen during the busy turn is not promised without spin.
  await sendThenBusy('', 200);
});

test.run();
