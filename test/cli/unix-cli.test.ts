import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildSet } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { cli, stderrHas } from './cli-helpers.js';
import { wildcardScenario } from './scenario.js';

const children = new ChildSet();
test.after.each(() => children.killAll());

test('three processes on unix://: each wildcard subscriber gets exactly its matches, in order', async () => {
  const dir = tmpDir('cli');
  const url = `unix://${join(dir, 'hub.sock')}`;
  await wildcardScenario(url, children);
  assert.not.ok(existsSync(join(dir, 'hub.sock')), 'the hub removed its socket on SIGINT');
});

test('a hub killed with SIGKILL leaves a socket the next hub replaces; a live hub is never stolen', async () => {
  const dir = tmpDir('cli');
  const path = join(dir, 'hub.sock');
  const url = `unix://${path}`;
  const first = children.add(cli(['hub', url]));
  await first.waitLine(/^listening /);
  assert.is(statSync(path).mode & 0o777, 0o600, 'socket is owner-only');
  const rival = children.add(cli(['hub', url]));
  const r = await rival.waitExit(30_000);
  assert.is(r.code, 1);
  assert.match(rival.stderr, /Hub already running/);
  first.kill('SIGKILL');
  await first.waitExit();
  assert.ok(existsSync(path), 'SIGKILL left the socket file behind');
  const second = children.add(cli(['hub', url]));
  await second.waitLine(/^listening /);
  const reply = children.add(cli(['sub', url, 'x.y', '--count', '1', '--timeout', '20']));
  await stderrHas(reply, 'subscribed'); // the new hub has the subscription
  const pubber = children.add(cli(['pub', url, 'x.y', '"hi"']));
  assert.is((await pubber.waitExit()).code, 0, pubber.stderr);
  assert.is((await reply.waitExit()).code, 0);
  second.kill('SIGTERM');
  assert.is((await second.waitExit()).code, 0);
  assert.not.ok(existsSync(path));
});

test('the demo runs and leaves nothing behind', async () => {
  const demo = children.add(cli(['demo']));
  const r = await demo.waitExit(60_000);
  assert.is(r.code, 0, demo.stderr);
  assert.ok(demo.lines.some((l) => l.includes('average in kitchen')));
  assert.ok(demo.lines.some((l) => l.includes('nothing left behind')));
});

test.run();
