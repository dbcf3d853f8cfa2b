/**
 * The policy inside one process (memory://: every peer is this process, so its uid is ours):
 * what a client sees for refused operations, reply grants, reloads, and the transports a policy
 * refuses. The multi-user test covers the same with real users over unix://.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../src/bus/bus.js';
import { HubPolicy } from '../../src/bus/policy/hub-policy.js';
import { PolicyDeniedError, PolicyError, PermissionDeniedError } from '../../src/errors.js';
import type { PolicyDocument } from '../../src/bus/policy/types.js';
import type { BusEvent } from '../../src/bus/events.js';
import type { Message } from '../../src/bus/types.js';
import { rejectsWith, within } from '../helpers/watchdog.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';

const me = String(process.getuid?.() ?? 0);

async function pair(doc: PolicyDocument): Promise<{ hub: Bus; bus: Bus; policy: HubPolicy; events: BusEvent[] }> {
  const policy = HubPolicy.from(doc);
  const url = `memory://${uniqueName('policy')}`;
  const hub = await Bus.listen(url, { policy });
  const events: BusEvent[] = [];
  hub.events.subscribe((e) => events.push(e));
  const bus = await Bus.connect(url);
  return { hub, bus, policy, events };
}

test('a refused subscription errors both views with PolicyDeniedError; the bus goes on', async () => {
  const { hub, bus, events } = await pair({ users: { [me]: { subscribe: { allow: ['ok.*'] }, publish: { allow: ['ok.*'] } } } });
  try {
    const errs: Error[] = [];
    bus.subscribe('secret.*').subscribe({ error: (e: Error) => errs.push(e) });
    const it = bus.subscribe('other.>')[Symbol.asyncIterator]();
    const got: Message[] = [];
    bus.subscribe('ok.*').subscribe((m) => got.push(m));
    await bus.flush();
    const err = await within(5000, 'iterator rejects', it.next().then(() => undefined, (e: Error) => e));
    assert.instance(err, PolicyDeniedError);
    assert.instance(err, PermissionDeniedError);
    assert.is((err as PolicyDeniedError).code, 'ERR_UNIBUS_PERMISSION');
    assert.is((err as PolicyDeniedError).rule, 'no rule allows');
    assert.is(errs.length, 1);
    assert.is((errs[0] as PolicyDeniedError).subject, 'secret.*');
    await bus.publish('ok.a', 1);
    await bus.flush();
    await within(5000, 'ok.a arrives', (async () => { while (got.length === 0) await new Promise((r) => setTimeout(r, 10)); })());
    assert.is(hub.stats().permissionDenied, 2);
    assert.is(events.filter((e) => e.type === 'permission-denied').length, 2);
  } finally {
    await bus.close();
    await hub.close();
  }
});

test('a refused publish fails the next flush and is an error event; later publishes go on', async () => {
  const { hub, bus } = await pair({ users: { [me]: { publish: { allow: ['ok.*'] } } } });
  try {
    const errors: Error[] = [];
    bus.on('error', (e) => errors.push(e.error));
    await bus.publish('no.a', 1); // resolves: accepted locally
    const err = await rejectsWith(() => bus.flush(), PolicyDeniedError);
    assert.is(err.subject, 'no.a');
    assert.is(err.action, 'publish');
    assert.is(errors.length, 1);
    await bus.publish('ok.a', 1);
    await bus.flush(); // nothing refused since the last flush
    // A request to a topic it may not publish fails at once, not after its timeout.
    await rejectsWith(() => bus.request('no.rpc', 1, { timeout: 60_000 }), PolicyDeniedError);
  } finally {
    await bus.close();
    await hub.close();
  }
});

test('replies: once per request, only to the requester\'s own inbox', async () => {
  const { hub, bus } = await pair({
    users: { [me]: { subscribe: { allow: ['rpc.*'] }, publish: { allow: ['rpc.*'] } } },
  });
  const server = await Bus.connect(hub.url);
  try {
    const replyTos: string[] = [];
    server.subscribe('rpc.raw').subscribe((m) => { if (m.replyTo) replyTos.push(m.replyTo); });
    server.serve('rpc.echo', (x) => x);
    await server.flush();
    assert.is(await bus.request('rpc.echo', 5, { timeout: 10_000 }), 5);
    // A request whose reply subject is not its own inbox grants nothing.
    await bus.publish('rpc.raw', 1, { replyTo: 'rpc.elsewhere' });
    await bus.flush();
    await within(5000, 'raw request arrives', (async () => { while (replyTos.length === 0) await new Promise((r) => setTimeout(r, 10)); })());
    await server.publish('rpc.elsewhere', 'allowed by its rule anyway');
    await server.flush();
    await server.publish(`_INBOX.${bus.id}.999`, 'no request asked for this');
    await rejectsWith(() => server.flush(), PolicyDeniedError);
    // The same inbox twice: the second is refused.
    const pending = bus.request('rpc.raw', 2, { timeout: 10_000 });
    await within(5000, 'second raw request', (async () => { while (replyTos.length < 2) await new Promise((r) => setTimeout(r, 10)); })());
    const inbox = replyTos[1]!;
    assert.ok(inbox.startsWith(`_INBOX.${bus.id}.`));
    await server.publish(inbox, 'first');
    await server.flush();
    assert.is(await pending, 'first');
    await server.publish(inbox, 'second');
    await rejectsWith(() => server.flush(), PolicyDeniedError);
  } finally {
    await server.close();
    await bus.close();
    await hub.close();
  }
});

test('reload: subscriptions the new policy forbids end with the error; a bad document keeps the old rules', async () => {
  const doc = { users: { [me]: { subscribe: { allow: ['a.>'] } } } };
  const { hub, bus, policy } = await pair(doc);
  try {
    const it = bus.subscribe('a.x')[Symbol.asyncIterator]();
    const kept = bus.subscribe('a.y')[Symbol.asyncIterator]();
    await bus.flush();
    assert.throws(() => policy.reload({ users: { [me]: { subscribe: { allw: [] } } } } as never), (e: Error) => e instanceof PolicyError);
    policy.reload({ users: { [me]: { subscribe: { allow: ['a.y'] } } } });
    const err = await within(5000, 'a.x ends', it.next().then(() => undefined, (e: Error) => e));
    assert.instance(err, PolicyDeniedError);
    await hub.publish('a.y', 7);
    assert.is((await within(5000, 'a.y still delivered', kept.next())).value?.data, 7);
    // Publish decisions are cached per peer: a reload must drop them.
    policy.reload({ users: { [me]: { publish: { allow: ['p.*'] } } } });
    await bus.publish('p.1', 1);
    await bus.flush();
    policy.reload({ users: { [me]: { publish: { deny: ['p.1'], allow: ['p.*'] } } } });
    await bus.publish('p.1', 1);
    assert.is((await rejectsWith(() => bus.flush(), PolicyDeniedError)).rule, `users.${me}.publish.deny[0] "p.1"`);
  } finally {
    await bus.close();
    await hub.close();
  }
});

test('a policy file: read at load, reload() reads it again, errors name the key', () => {
  const dir = tmpDir('policy-file');
  const file = join(dir, 'p.json');
  writeFileSync(file, JSON.stringify({ users: { [me]: { publish: { allow: ['a.*'] } } } }));
  const policy = HubPolicy.fromFile(file);
  assert.is(policy.decide(Number(me), 0, 'publish', 'a.b').allowed, true);
  writeFileSync(file, JSON.stringify({ users: { [me]: { publish: { allow: ['a.>'], deny: ['a.b'] } } } }));
  policy.reload();
  assert.is(policy.decide(Number(me), 0, 'publish', 'a.b').allowed, false);
  writeFileSync(file, '{"users": {"no-such-user-xyz-q": {}}}');
  assert.throws(() => policy.reload(), /users\.no-such-user-xyz-q: no such user/);
  assert.is(policy.decide(Number(me), 0, 'publish', 'a.c.d').allowed, true, 'old rules kept');
  assert.throws(() => HubPolicy.fromFile(join(dir, 'missing.json')), (e: Error) => e instanceof PolicyError);
});

test('transports that cannot prove a peer\'s uid are refused at listen, before making anything', async () => {
  const policy = HubPolicy.from({});
  const dir = join(tmpDir('policy-fifo'), 'hub');
  for (const url of [`fifo://${dir}`, 'pipe:', `sysvmq://0x${(0x5a000000 + process.pid).toString(16)}`, `shm://${uniqueName('p')}`, `file://${dir}`, 'nats://127.0.0.1:1']) {
    const err = await rejectsWith(() => Bus.listen(url, { policy }), PolicyError);
    assert.match(err.message, /refused/, url);
    assert.not.match(err.message, /\n/);
  }
  assert.not.ok(existsSync(dir));
});

test.run();
