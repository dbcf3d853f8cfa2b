// `unibus doctor`: finds the leftovers of a dead hub (a sysvmq queue left by a hub killed with
// SIGKILL, a /dev/shm entry named like a dead shm:// hub's), never flags a live hub's, and
// passes once they are gone. Scoped with --only <run prefix>-doc: other runs' objects may exist,
// and this run's other test files (sysvmq's kill hubs too) run at the same time.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildSet } from '../helpers/processes.js';
import { runId, tmpDir } from '../helpers/run-id.js';
import { cli } from './cli-helpers.js';

const children = new ChildSet();
/** What this file's leftovers are named with, and nothing else's. */
const only = `${runId}-doc`;
const planted: string[] = [];
test.after.each(async () => {
  await children.killAll();
  for (const p of planted.splice(0)) rmSync(p, { force: true });
});

async function doctor(...args: string[]): Promise<{ code: number | null; out: string }> {
  const c = children.add(cli(['doctor', ...args]));
  const r = await c.waitExit(30_000);
  return { code: r.code, out: `${c.lines.join('\n')}\n${c.stderr}` };
}

test('doctor finds a dead sysvmq hub\'s queues and a dead shm hub\'s /dev/shm entry, and passes once they are gone', async () => {
  const keyfile = join(tmpDir('doctor'), `${runId}-doc.key`);
  const sysvUrl = `sysvmq://${keyfile}`;
  const hub = children.add(cli(['hub', sysvUrl]));
  await hub.waitLine(/^listening /);
  // Live: not a leftover.
  let r = await doctor('--only', only);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /no sysvmq leftovers matching .*\(1 live hub/);
  hub.kill('SIGKILL');
  await hub.waitExit();
  const shmName = only;
  const segment = `/dev/shm/unibus-shm.${shmName}~c-1-0badf00d`;
  planted.push(segment);
  writeFileSync(segment, Buffer.alloc(4096), { mode: 0o600 });

  r = await doctor('--only', only);
  assert.is(r.code, 1, r.out);
  // Its rendezvous queue, and its wake queue unless a sysvmq process started meanwhile (a test
  // running beside this one) has already removed it (wake queues of dead processes go first).
  assert.match(r.out, new RegExp(`FAIL sysvmq queue msqid=\\d+ key=0x[0-9a-f]+ of the hub of ${keyfile} .*the hub is dead, [12] queue\\(s\\) left`));
  assert.match(r.out, /fix: start and stop a hub on its URL \(it removes them\), or: ipcrm -q \d+( -q \d+)?\n/);
  assert.match(r.out, new RegExp(`FAIL shm://${shmName}: the hub is dead, 1 entry left in /dev/shm`));
  assert.match(r.out, /2 problem\(s\)/);

  // The fixes it names work: a new hub on the URL removes the queues; the entry is removed by hand.
  const next = children.add(cli(['hub', sysvUrl]));
  await next.waitLine(/^listening /);
  next.kill('SIGTERM');
  assert.is((await next.waitExit()).code, 0, next.stderr);
  rmSync(segment);
  r = await doctor('--only', only);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /no problems/);
});

test('doctor <unix url>: a live hub is fine, a socket a SIGKILLed hub left is not, a missing directory is not', async () => {
  const dir = tmpDir('doctor');
  const path = join(dir, 'hub.sock');
  const url = `unix://${path}`;
  const hub = children.add(cli(['hub', url]));
  await hub.waitLine(/^listening /);
  let r = await doctor(url, '--only', only);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`ok {3}a live hub serves ${path}`));
  hub.kill('SIGKILL');
  await hub.waitExit();
  r = await doctor(url, '--only', only);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, new RegExp(`FAIL ${path} is a socket a dead hub left\\n\\s+fix: rm ${path}`));
  rmSync(path);
  r = await doctor(`unix://${join(dir, 'missing', 'hub.sock')}`, '--only', only);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /does not exist: a hub cannot create .*\n\s+fix: mkdir -p /);
  assert.not.ok(existsSync(path));
});

test.run();
