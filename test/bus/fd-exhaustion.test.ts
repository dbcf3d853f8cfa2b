/**
 * A hub out of file descriptors refuses the clients it cannot admit, says why, and keeps serving:
 * the clients it cannot admit get a clear error (not an anonymous timeout or "peer gone"), a hub
 * that admits clients by its own work (shm, fifo, sysvmq) reports each refusal as an `error`
 * event of its bus, and once descriptors are free again new clients connect. Before: a sysvmq
 * hub crashed (uncaught EMFILE from pidfd_open, queues left in the kernel), shm and fifo hubs
 * said nothing and their clients timed out with "no hub answered".
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/bus/bus.js';
import { UnibusError } from '../../src/errors.js';
import { ChildSet, script, spawnNode, type Child } from '../helpers/processes.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';
import { removeTmp } from '../sync/cleanup.js';

const hubScript = script(import.meta.url, './peers/fd-full-hub.js');
const dir = tmpDir('fd-exhaustion');
const children = new ChildSet();

test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

/** What a client of each scheme is told while its hub has no descriptor left. */
const cases: Array<{ url: string; code: string | RegExp; says: RegExp; reported: boolean }> = [
  { url: `unix://${dir}/h.sock`, code: 'ERR_UNIBUS_PEER_GONE', says: /closed the connection before its HELLO/, reported: false },
  // The hub may get as far as opening one FIFO of the client's pair before it runs out: then it
  // closes the handshake and the client hears that instead of waiting out its timeout.
  { url: `fifo://${dir}/f`, code: /^ERR_UNIBUS_(TIMEOUT|PEER_GONE)$/, says: /hub is running but did not welcome|hub closed the handshake/, reported: true },
  { url: `sysvmq://${dir}/q`, code: 'ERR_UNIBUS_LIMIT', says: /open files of the hub process.*EMFILE/, reported: true },
  { url: `shm://${uniqueName('fdx')}`, code: 'ERR_UNIBUS_TIMEOUT', says: /read this client's announcement but did not attach it/, reported: true },
];

for (const c of cases) {
  test(`${c.url.split(':')[0]}: a hub out of descriptors refuses clearly, reports it, then serves again`, async () => {
    const hub: Child = children.add(spawnNode(hubScript, [c.url]));
    await hub.waitLine(/^ready$/);
    hub.proc.stdin!.write('fill\n');
    await hub.waitLine(/^full \d+$/);
    const refused = await within(30_000, 'the refused connect', Bus.connect(c.url, { reconnect: false, connectTimeout: 1500 })
      .then(async (bus) => { await bus.close(); return undefined; }, (err: unknown) => err));
    assert.instance(refused, UnibusError, `a typed error, got ${String(refused)}`);
    assert.match((refused as UnibusError).code, c.code, (refused as Error).message);
    assert.match((refused as Error).message, c.says);
    if (c.reported) {
      const line = await hub.waitLine(/^error ERR_UNIBUS_LIMIT /);
      assert.match(line, /open files of the hub process \(RLIMIT_NOFILE\).*EMFILE/);
    }
    hub.proc.stdin!.write('free\n');
    await hub.waitLine(/^freed$/);
    const bus = await Bus.connect(c.url, { reconnect: false, connectTimeout: 10_000 });
    await bus.publish('after', 1);
    await within(10_000, 'flush after the storm', bus.flush());
    await bus.close();
    assert.ok(hub.proc.exitCode === null && hub.proc.signalCode === null, `the hub is alive (stderr: ${hub.stderr.slice(-300)})`);
    hub.kill('SIGTERM');
    const exit = await hub.waitExit();
    assert.is(exit.code, 0, hub.stderr.slice(-500));
  });
}

test.run();
