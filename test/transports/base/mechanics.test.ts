/**
 * The mechanics every connection shares (src/transports/): commit waiters (`ProgressWaiters`),
 * once-per-turn tasks (`TurnTask`), and the capability guards on real connections.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ProgressWaiters } from '../../../src/transports/progress-waiters.js';
import { TurnTask } from '../../../src/transports/turn-task.js';
import { memoryPair } from '../../../src/transports/memory/memory-transport.js';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { canWriteInPlace, handsBack, provenPeer, provesPeer, reportsFill, unsentOf } from '../../../src/transports/capabilities.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

const settled = (p: Promise<unknown>): Promise<string> => p.then(() => 'resolved', (e: Error) => `rejected ${e.message}`);
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('ProgressWaiters resolves waits in order as the counter reaches them, shares one promise per target', async () => {
  const w = new ProgressWaiters();
  const order: number[] = [];
  const a = w.wait(3).then(() => order.push(3));
  const b = w.wait(5).then(() => order.push(5));
  assert.is(w.wait(5), w.wait(5), 'one promise for the same target');
  assert.is(w.size, 2);
  w.reached(4);
  await a;
  assert.equal(order, [3]);
  w.reached(2); // never goes back
  assert.is(w.progress, 4);
  w.reached(5);
  await within(1000, 'the second wait', b);
  assert.equal(order, [3, 5]);
  assert.is(await settled(w.wait(1)), 'resolved', 'a target already reached resolves at once');
  const failing = settled(w.wait(9));
  w.failAll(new Error('medium gone'));
  assert.is(await failing, 'rejected medium gone');
  assert.is(w.size, 0);
});

test('TurnTask runs once per scheduling however often asked; runNow runs at once', async () => {
  let runs = 0;
  const task = new TurnTask(() => { runs++; });
  task.atTurnEnd();
  task.atTurnEnd();
  task.nextTurn();
  assert.ok(task.scheduled);
  assert.is(runs, 0, 'nothing runs before the end of the turn');
  await turn();
  assert.is(runs, 1);
  assert.not.ok(task.scheduled);
  task.nextTurn();
  task.runNow();
  assert.is(runs, 2);
  await turn();
  assert.is(runs, 3, 'a run still scheduled happens too');
});

test('capability guards see what each connection has, on real connections', async () => {
  const [a, b] = memoryPair(1024);
  assert.not.ok(canWriteInPlace(a), 'memory: no in-place writing');
  assert.not.ok(reportsFill(a));
  assert.not.ok(handsBack(a));
  assert.ok(provesPeer(a), 'memory proves its peer: this process');
  assert.is(provenPeer(a)?.pid, process.pid);
  assert.equal(unsentOf({ reason: 'clean' }), []);
  await Promise.all([a.close(), b.close()]);

  const url = `unix:///tmp/${uniqueName('caps')}.sock`;
  const listener = await unixTransport.listen(url);
  try {
    const client = await unixTransport.connect(url);
    const server = (await within(10_000, 'accept', listener[Symbol.asyncIterator]().next())).value as Connection;
    for (const conn of [client, server]) {
      assert.ok(canWriteInPlace(conn) && reportsFill(conn) && provesPeer(conn));
      assert.not.ok(handsBack(conn));
      assert.is(provenPeer(conn)?.pid, process.pid);
    }
    // In place, beside write(), one frame each, in order.
    const got: string[] = [];
    server.consume((f) => got.push(new TextDecoder().decode(f)));
    if (!canWriteInPlace(client)) throw new Error('unreachable');
    const at = client.reserveFrame(2);
    assert.ok(at >= 0);
    client.reservedBuffer.set(new TextEncoder().encode('in'), at);
    client.commitFrame();
    await client.send(new TextEncoder().encode('out'));
    await within(10_000, 'both frames', (async () => { while (got.length < 2) await turn(); })());
    assert.equal(got, ['in', 'out']);
    await client.close();
  } finally {
    await listener.close();
  }
});

test.run();
