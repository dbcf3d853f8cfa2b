/**
 * What killed sysvmq processes leave in the kernel, and who removes it: the next hub of the
 * address, the next process that uses sysvmq (wake queues), `unibus doctor` (lists it). Real
 * child processes SIGKILLed at chosen moments, real System V queues.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { sysvmqTransport as t } from '../../../src/transports/sysvmq/sysvmq-transport.js';
import { HubRunningError } from '../../../src/errors.js';
import { IPC_CREAT, IPC_EXCL, IPC_NOWAIT, MsgBuffer, ftok, msgGetRaw, msgRemove, msgSend, msgStat } from '../../../src/native/sysv-msg.js';
import { DEFAULT_PROJ } from '../../../src/transports/sysvmq/url.js';
import { acquireWaker } from '../../../src/transports/sysvmq/waker.js';
import { sysvmqLeftovers, wakeQueueLeftovers } from '../../../src/cli/doctor/leftovers.js';
import { spawnNode } from '../../helpers/processes.js';
import { until, within } from '../../helpers/watchdog.js';
import { alive, numbers, peer, rendezvousOf, sysvmqHarness } from './harness.js';

const h = sysvmqHarness('sysvmq-crash');
const { children, hubs, listen, newUrl, pair } = h;

test.after(() => h.cleanup());

test('a live hub is never taken over; a killed hub\'s queues are removed by the next hub', async () => {
  const url = newUrl();
  const first = children.add(spawnNode(peer, ['hub', url]));
  const ids = numbers(await first.waitLine(/^ready \d+$/));
  ids.push(rendezvousOf(url));
  try {
    await t.listen(url);
    assert.unreachable('second hub must fail');
  } catch (err) {
    assert.instance(err, HubRunningError);
  }
  const holder = children.add(spawnNode(peer, ['hold', url]));
  ids.push(...numbers(await holder.waitLine(/^connected [\d ]+$/)));
  first.kill('SIGKILL');
  holder.kill('SIGKILL');
  await first.waitExit();
  await holder.waitExit();
  assert.equal(alive(ids), ids, 'the dead processes left their queues');
  const next = await listen(url);
  const client = await t.connect(url);
  await client.close();
  await next.close();
  hubs.delete(next);
  assert.equal(alive(ids), [], 'the next hub removed everything the dead ones left');
});

test('a client killed while its HELLO waits in a dead hub\'s queue: the next hub removes its wake queue', async () => {
  const url = newUrl();
  const first = children.add(spawnNode(peer, ['hub', url]));
  await first.waitLine(/^ready \d+$/);
  const rendezvous = rendezvousOf(url);
  first.kill('SIGKILL');
  await first.waitExit();
  const before = msgStat(rendezvous)!.qnum;
  const client = children.add(spawnNode(peer, ['connecting', url]));
  const [wakeQueue] = numbers(await client.waitLine(/^waking \d+$/)) as [number];
  await until('the HELLO in the dead hub\'s queue', () => (msgStat(rendezvous)?.qnum ?? 0) > before);
  client.kill('SIGKILL');
  await client.waitExit();
  assert.ok(msgStat(wakeQueue) !== null, 'the killed client could not remove its wake queue');
  const found = sysvmqLeftovers(url.slice('sysvmq://'.length)).map((f) => f.fix ?? '').join('\n');
  assert.match(found, `-q ${wakeQueue}`, 'unibus doctor names it among the dead hub\'s leftovers');
  const next = await listen(url); // removes what the dead hub left, and the dead HELLO's wake queue
  assert.equal(alive([wakeQueue, rendezvous]), []);
  await next.close();
  hubs.delete(next);
});

test('a client killed after its hub: the next process that uses sysvmq removes its wake queue', async () => {
  // Before, wake queues were IPC_PRIVATE: a client SIGKILLed once its hub was gone (services
  // stopped in any order) left a queue nobody could attribute, for ever.
  const url = newUrl();
  const hub = children.add(spawnNode(peer, ['hub', url]));
  const [hubWake] = numbers(await hub.waitLine(/^ready \d+$/)) as [number];
  const rendezvous = rendezvousOf(url);
  const holder = children.add(spawnNode(peer, ['hold', url]));
  const [wake, tx, rx] = numbers(await holder.waitLine(/^connected [\d ]+$/)) as [number, number, number];
  holder.kill('SIGSTOP'); // it must not see its hub die (it would reconnect)
  hub.kill('SIGKILL');
  await hub.waitExit();
  holder.kill('SIGKILL');
  await holder.waitExit();
  assert.equal(alive([wake, hubWake]), [wake, hubWake], 'the killed processes could not remove their wake queues');
  const listed = wakeQueueLeftovers(`of pid ${holder.pid}`).map((f) => f.fix ?? '').join('\n');
  assert.match(listed, `ipcrm -q ${wake}`, 'unibus doctor lists the dead client\'s wake queue');
  const next = children.add(spawnNode(peer, ['cycle', newUrl()])); // any sysvmq process, another URL
  await next.waitLine(/^got 3$/);
  await next.waitExit();
  assert.equal(alive([wake, hubWake]), [], 'both wake queues were removed by the next sysvmq process');
  const nextHub = await listen(url); // the dead hub's rendezvous and the pair go as before
  await nextHub.close();
  hubs.delete(nextHub);
  assert.equal(alive([tx, rx, rendezvous]), []);
});

test('a hub killed between creating its rendezvous queue and posting INFO: the next hub takes the key; a used foreign queue is refused', async () => {
  // Before, every next hub refused the key for ever ("a queue unibus did not make").
  const url = newUrl();
  const half = children.add(spawnNode(peer, ['half-hub', url]));
  const [made] = numbers(await half.waitLine(/^made \d+$/)) as [number];
  await half.waitExit();
  assert.ok(msgStat(made) !== null, 'the killed hub left its queue without INFO');
  const next = await listen(url);
  assert.not.ok(alive([made]).length, 'the unfinished queue was removed');
  await next.close();
  hubs.delete(next);

  const foreign = newUrl();
  writeFileSync(foreign.slice('sysvmq://'.length), 'a key file');
  const id = msgGetRaw(ftok(foreign.slice('sysvmq://'.length), DEFAULT_PROJ), IPC_CREAT | IPC_EXCL | 0o600);
  try {
    const msg = new MsgBuffer(4);
    msg.type = 7;
    assert.is(msgSend(id, msg, 4, IPC_NOWAIT), 0); // somebody uses it
    const err = await t.listen(foreign).catch((e: unknown) => e);
    assert.instance(err, HubRunningError);
    assert.match((err as Error).message, `ipcrm -q ${id}`);
    assert.ok(msgStat(id) !== null, 'a queue in use is never removed');
  } finally {
    msgRemove(id);
  }
});

test('a worker thread\'s waker never removes the wake queue of its own process', async () => {
  const mine = acquireWaker().queueId;
  const other = await pair(newUrl()); // keeps this process's waker open meanwhile
  try {
    const worker = new Worker(peer, { argv: ['cycle', newUrl()], stdout: true });
    let out = '';
    worker.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    await within(20_000, 'the worker\'s cycle', new Promise((resolve, reject) => { worker.once('exit', resolve); worker.once('error', reject); }));
    assert.match(out, /got 3/);
    assert.ok(msgStat(mine) !== null, 'the wake queue at this pid\'s key is still there');
    await other.client.send(new TextEncoder().encode('still woken'));
    const got = await within(10_000, 'a frame after the worker left', other.server[Symbol.asyncIterator]().next());
    assert.is(new TextDecoder().decode(got.value as Uint8Array), 'still woken');
  } finally {
    await other.client.close();
  }
});

test('the next hub of a killed hub keeps the wake queue of a live client process, which serves its other connections', async () => {
  const url = newUrl();
  const first = children.add(spawnNode(peer, ['hub', url]));
  await first.waitLine(/^ready \d+$/);
  const other = await pair(newUrl()); // another connection of this process, through the same waker
  const client = await t.connect(url); // the killed hub records this process's wake queue
  const wakeQueue = acquireWaker().queueId;
  const warnings: string[] = [];
  const onWarning = (w: Error): void => { warnings.push(w.message); };
  process.on('warning', onWarning);
  try {
    first.kill('SIGKILL');
    await first.waitExit();
    await within(10_000, 'the client seeing its hub gone', client.closed);
    const next = await listen(url); // removes what the dead hub left
    assert.ok(msgStat(wakeQueue) !== null, 'this live process keeps its wake queue');
    const frames = other.server[Symbol.asyncIterator]();
    await other.client.send(new TextEncoder().encode('after the restart'));
    assert.is(new TextDecoder().decode((await within(10_000, 'a frame on the other connection', frames.next())).value as Uint8Array), 'after the restart');
    await new Promise((r) => setTimeout(r, 50)); // a warning is emitted on the next tick
    assert.equal(warnings.filter((w) => w.includes('wake queue')), []);
    await next.close();
  } finally {
    process.off('warning', onWarning);
    await other.client.close();
  }
});

test.run();
