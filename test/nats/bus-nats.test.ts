/**
 * The Bus on nats:// beyond the conformance suite: the NATS client is loaded only for nats://
 * URLs; subscriptions survive a server restart (a reconnecting disconnect does not end them).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import type { BusEvent } from '../../src/bus/events.js';
import { NatsServer, natsServerAvailable } from '../helpers/nats-server.js';
import { script, spawnNode } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

let server: NatsServer;
test.before(async () => {
  assert.ok(natsServerAvailable(), 'nats-server is not installed (apt-get install -y nats-server)');
  server = await NatsServer.start();
});
test.after(async () => { await server.kill(); });

test('a program on a local transport never loads the NATS client', async () => {
  const child = spawnNode(script(import.meta.url, './lazy-load.js'), [], { NATS_URL: server.url });
  const line = await child.waitLine(/^before=/, 30_000);
  assert.is(line, 'before=false after=true');
  assert.is((await child.waitExit()).code, 0);
});

test('Bus subscriptions survive a NATS server restart; events say disconnected, then reconnected', async () => {
  const p = uniqueName('restart');
  const sub = await Bus.connect(server.url);
  const pub = await Bus.connect(server.url);
  try {
    const events: BusEvent[] = [];
    sub.events.subscribe((e) => events.push(e));
    const got: number[] = [];
    let ended = false;
    sub.subscribe(`${p}.v`).subscribe({ next: (m) => got.push(m.data as number), complete: () => { ended = true; }, error: () => { ended = true; } });
    await sub.flush();
    await pub.publish(`${p}.v`, 1);
    await until('first message', () => got.length === 1);
    await server.kill();
    await until('disconnected event', () => events.some((e) => e.type === 'disconnected'));
    await server.restart();
    await until('reconnected event', () => events.some((e) => e.type === 'reconnected'), 20_000);
    await sub.flush({ timeout: 20_000 });
    await pub.flush({ timeout: 20_000 });
    await pub.publish(`${p}.v`, 2);
    await until('second message after the restart', () => got.length === 2, 20_000);
    assert.equal(got, [1, 2]);
    assert.is(ended, false, 'the subscription did not end');
    assert.ok(sub.stats().reconnects >= 1);
  } finally {
    await sub.close();
    await pub.close();
  }
});

test.run();
