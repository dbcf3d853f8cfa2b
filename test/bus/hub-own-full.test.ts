/**
 * The hub's own publishes while a subscriber's connection is full (src/bus/hub/own-now.ts
 * `routeOwnPublish`): a real subscriber process stopped with SIGSTOP holds the router, the hub's
 * publisher is held back (its publishes wait: nothing grows without bound), and once it reads
 * again everything arrives whole and in publish order, while the hub's bus also sends SUB,
 * UNSUB and PING over its link and its own subscriber publishes in reaction to what it gets.
 * Over unix:// (a stream connection takes frames past its mark) and shm:// (a full ring
 * declines frames in place: they go into the connection's queue).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/index.js';
import { script, spawnNode, type Child } from '../helpers/processes.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const subscriber = script(import.meta.url, './peers/order-subscriber.js');
const children: Child[] = [];

test.after.each(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGCONT');
    c.kill('SIGKILL');
    await c.waitExit();
  }
});

/** The subscriber holds the router the whole time it is stopped (a long grace), and is never dropped. */
const HOLD_FOREVER = { backpressureGrace: 120_000, maxStall: 240_000 };

/** Publish counter of the hub's bus: the subscriber checks that it sees 0, 1, 2... */
let counter = 0;

function payload(size: number): Uint8Array {
  const c = counter++;
  const p = new Uint8Array(size);
  for (let i = 4; i < size; i++) p[i] = (c + i) & 0xff;
  p[0] = c & 0xff;
  p[1] = (c >> 8) & 0xff;
  p[2] = (c >> 16) & 0xff;
  p[3] = (c >>> 24) & 0xff;
  return p;
}

async function start(url: string, expected: number): Promise<{ hub: Bus; sub: Child }> {
  counter = 0;
  const hub = await Bus.listen(url, HOLD_FOREVER);
  const sub = spawnNode(subscriber, [url, String(expected)]);
  children.push(sub);
  await sub.waitLine(/^ready$/, 30_000);
  return { hub, sub };
}

const URLS = {
  unix: (): string => `unix://${tmpDir('own-full')}/hub.sock`,
  shm: (): string => `shm://${uniqueName('own-full')}`,
};

for (const [scheme, url] of Object.entries(URLS)) {
  test(`${scheme}: a stopped subscriber holds the hub's publisher; then all of it arrives, in order`, async () => {
    const n = 512; // 64 KiB each: 32 MiB, far past what the socket or ring and the connection hold
    const { hub, sub } = await start(url(), n);
    try {
      sub.kill('SIGSTOP');
      let accepted = 0;
      const sends = (async () => {
        for (let i = 0; i < n; i++) {
          const wait = hub.publish('order.a', payload(65_536));
          accepted++;
          await wait;
        }
      })();
      await new Promise((r) => setTimeout(r, 500));
      const held = accepted;
      assert.ok(held < n, `publisher held back (${held} of ${n} accepted while nothing was read)`);
      sub.kill('SIGCONT');
      await within(60_000, 'publishes accepted', sends);
      assert.is(await sub.waitLine(/^done /, 60_000), `done ${n} ok`);
    } finally {
      await hub.close();
    }
  });

  test(`${scheme}: in order with SUB, UNSUB, PING and reactions of the hub's own subscriber, across stops`, async () => {
    const rounds = 12;
    const perRound = 40;
    const sizes = [64, 300, 4096, 20_000, 65_536, 300_000];
    // Every 5th publish is on order.echo, to which the hub's own subscriber reacts once.
    const expected = rounds * perRound + rounds * Math.ceil(perRound / 5);
    const { hub, sub } = await start(url(), expected);
    try {
      let reactions = 0;
      hub.subscribe('order.echo').subscribe(() => {
        reactions++;
        void hub.publish('order.reaction', payload(256));
      });
      await hub.flush();
      for (let round = 0; round < rounds; round++) {
        // The subscriber stops in every other round: the router is held while the hub publishes.
        sub.kill(round % 2 === 0 ? 'SIGSTOP' : 'SIGCONT');
        const waits: Promise<void>[] = [];
        let local: { unsubscribe(): void } | undefined;
        for (let i = 0; i < perRound; i++) {
          if (i % 5 === 0) waits.push(hub.publish('order.echo', payload(sizes[i % sizes.length]!)));
          else waits.push(hub.publish(`order.m${i % 3}`, payload(sizes[(i + round) % sizes.length]!)));
          // SUB, UNSUB and PING go over the hub's link between publishes.
          if (i === 7) local = hub.subscribe('order.m1').subscribe(() => {});
          if (i === 19) local?.unsubscribe();
          if (i === 23) waits.push(hub.flush());
          // A window, as a program that cares about memory awaits (the bench's shape).
          if (i % 8 === 7) {
            if (round % 2 === 0 && i === 7) setTimeout(() => sub.kill('SIGCONT'), 200);
            await within(60_000, 'a window of publishes', Promise.all(waits.splice(0)));
          }
        }
        await within(60_000, 'the round\'s publishes', Promise.all(waits));
      }
      sub.kill('SIGCONT');
      assert.is(await sub.waitLine(/^done /, 60_000), `done ${expected} ok`);
      await until('every reaction', () => reactions === rounds * Math.ceil(perRound / 5), 10_000);
    } finally {
      await hub.close();
    }
  });
}

test.run();
