import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildSet } from '../helpers/processes.js';
import { ftok, msgGetRaw } from '../../src/native/sysv-msg.js';
import { DEFAULT_PROJ } from '../../src/transports/sysvmq/url.js';
import { tmpDir } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';
import { cli, stderrHas } from './cli-helpers.js';
import { wildcardScenario } from './scenario.js';

const children = new ChildSet();
test.after.each(() => children.killAll());

/** True while a queue exists at the key of a key-file URL's path (the rendezvous queue). */
const rendezvousExists = (keyfile: string, key: number): boolean => msgGetRaw(key, 0) >= 0 || existsSync(keyfile);

test('three processes on sysvmq://: each wildcard subscriber gets exactly its matches, in order; SIGINT leaves nothing', async () => {
  const key = join(tmpDir('sysvmq-cli'), 'hub.key');
  const url = `sysvmq://${key}`;
  const scenario = wildcardScenario(url, children);
  await until('the key file', () => existsSync(key));
  const k = ftok(key, DEFAULT_PROJ);
  await scenario;
  assert.not.ok(existsSync(key), 'the hub removed the key file it created');
  assert.not.ok(existsSync(`${key}.lock`), 'the hub released its liveness lock file');
  assert.not.ok(rendezvousExists(key, k), 'the rendezvous queue is removed (the runner checks every other queue)');
});

test('200 messages of 20 KiB from two publishers at once arrive intact (checksums)', async () => {
  const keyfile = join(tmpDir('sysvmq-cli'), 'big.key');
  const url = `sysvmq://${keyfile}`;
  const hub = children.add(cli(['hub', url]));
  await hub.waitLine(/^listening /);
  const k = ftok(keyfile, DEFAULT_PROJ);
  const sub = children.add(cli(['sub', url, 'big.*', '--count', '200', '--timeout', '120']));
  await stderrHas(sub, 'subscribed');
  const body = (): { body: string; sha: string } => {
    const b = randomBytes(15 * 1024).toString('base64'); // 20 KiB of text
    return { body: b, sha: createHash('sha256').update(b).digest('hex') };
  };
  const pubs = ['p1', 'p2'].map((name) => {
    const p = children.add(cli(['pub', url, `big.${name}`]));
    const lines = Array.from({ length: 100 }, (_, seq) => JSON.stringify({ name, seq, ...body() }));
    p.proc.stdin!.end(`${lines.join('\n')}\n`);
    return p;
  });
  for (const p of pubs) assert.is((await p.waitExit(120_000)).code, 0, p.stderr);
  assert.is((await sub.waitExit(120_000)).code, 0, sub.stderr);
  const next = new Map([['p1', 0], ['p2', 0]]);
  for (const line of sub.lines) {
    const { data } = JSON.parse(line) as { data: { name: string; seq: number; body: string; sha: string } };
    assert.is(data.body.length, 20 * 1024);
    assert.is(createHash('sha256').update(data.body).digest('hex'), data.sha, 'payload intact');
    assert.is(data.seq, next.get(data.name), `in order per publisher (${data.name})`);
    next.set(data.name, data.seq + 1);
  }
  assert.equal([...next.values()], [100, 100]);
  hub.kill('SIGINT');
  assert.is((await hub.waitExit(30_000)).code, 0, hub.stderr);
  assert.not.ok(rendezvousExists(keyfile, k), 'the rendezvous queue and key file are removed');
});

test.run();
