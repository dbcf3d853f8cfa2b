/**
 * Per-connection limits (issue 13, item 5): a hub refuses subscriptions past `maxSubscriptions`
 * with ERR `ERR_UNIBUS_LIMIT` naming the sid, keeps the connection open, and the client's
 * subscription fails with a typed `LimitError`. (It accepted 100k SUBs on one connection.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { Bus } from '../../src/bus/bus.js';
import { LimitError } from '../../src/errors.js';
import { RawHubClient, T } from '../helpers/raw-hub-client.js';
import { uniqueName } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const open: Array<{ close(): unknown }> = [];

test.after.each(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

test('past maxSubscriptions a subscribe() fails with LimitError; the connection and earlier subscriptions go on', async () => {
  const url = `unix:///tmp/${uniqueName('limit-subs')}.sock`;
  const hub = await Bus.listen(url, { maxSubscriptions: 20 });
  open.push(hub);
  const bus = await Bus.connect(url);
  open.push(bus);
  const got: string[] = [];
  for (let i = 0; i < 20; i++) bus.subscribe(`t.${i}`).subscribe((m) => got.push(m.topic));
  let refused: unknown;
  bus.subscribe('t.over').subscribe({ error: (e: unknown) => { refused = e; } });
  const iterator = bus.subscribe('t.over2')[Symbol.asyncIterator]();
  const pulled = iterator.next().then(() => 'resolved', (e: unknown) => e);
  await bus.flush();
  await until('the 21st subscription fails', () => refused, 30_000);
  assert.instance(refused, LimitError);
  assert.is((refused as LimitError).code, 'ERR_UNIBUS_LIMIT');
  assert.is((refused as LimitError).limit, 'maxSubscriptions');
  const second = await within(30_000, 'the iterator rejects', pulled);
  assert.instance(second, LimitError, 'for await over a refused subscription rejects');
  await hub.publish('t.3', 1);
  await until('an earlier subscription still receives', () => got.includes('t.3'), 30_000);
  assert.is(hub.stats().peers, 2, 'the client is still connected');
});

test('the default limit exists: a raw client gets ERR [ERR_UNIBUS_LIMIT, text, { sid }] for SUB 10 001, then its PONG', async () => {
  const path = `/tmp/${uniqueName('limit-default')}.sock`;
  const hub = await Bus.listen(`unix://${path}`);
  open.push(hub);
  const raw = await RawHubClient.open(path, 'many-subs', { countOnly: true });
  open.push(raw);
  for (let sid = 1; sid <= 10_001; sid++) raw.send([T.SUB, sid, `many.${sid}`, null]);
  raw.send([T.PING, 7]);
  await until('the PONG', () => raw.count(T.PONG).frames > 0, 60_000);
  assert.is(raw.errs.length, 1, `one ERR: ${JSON.stringify(raw.errs)}`);
  const [code, text, detail] = raw.errs[0]!;
  assert.is(code, 'ERR_UNIBUS_LIMIT');
  assert.is((detail as { sid?: number }).sid, 10_001);
  assert.match(String(text), /^maxSubscriptions: /);
  assert.not.ok(raw.ended, 'the connection stays open');
});

test('a SUB whose queue name is longer than 1024 characters closes that connection only (bounded memory per SUB)', async () => {
  const path = `/tmp/${uniqueName('limit-queue')}.sock`;
  const hub = await Bus.listen(`unix://${path}`);
  open.push(hub);
  const raw = await RawHubClient.open(path, 'long-queue', { countOnly: true });
  open.push(raw);
  raw.send([T.SUB, 1, 'q.x', 'w'.repeat(100_000)]);
  await until('that connection ends', () => raw.ended, 30_000);
  const other = await RawHubClient.open(path, 'other', { countOnly: true });
  open.push(other);
  other.send([T.SUB, 1, 'q.x', 'workers']);
  other.send([T.PING, 1]);
  await until('the hub serves others', () => other.count(T.PONG).frames > 0, 30_000);
});

test('a maxSubscriptions that is not a positive number is a RangeError; nothing is created', async () => {
  const path = `/tmp/${uniqueName('limit-bad')}.sock`;
  try {
    await Bus.listen(`unix://${path}`, { maxSubscriptions: 0 });
    assert.unreachable('accepted');
  } catch (err) {
    assert.instance(err, RangeError);
    assert.match((err as Error).message, /maxSubscriptions/);
  }
  assert.not.ok(existsSync(path));
});

test.run();
