/** The supervisor on the bus: events on `$sys.supervisor.<name>.<type>`, children reach UNIBUS_URL. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Bus } from '../../src/bus/bus.js';
import type { Message } from '../../src/bus/types.js';
import { Supervisor, type SupervisorEvent } from '../../src/process/supervisor/index.js';
import { script } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const child = script(import.meta.url, './fixtures/bus-child.js');

test('events are published on $sys.supervisor.* and children connect through UNIBUS_URL', async () => {
  const dir = tmpDir('supbus');
  const hub = await Bus.listen(`unix://${join(dir, 'bus.sock')}`);
  const sys: Message[] = [];
  const hello: Message[] = [];
  hub.subscribe('$sys.supervisor.>').subscribe((m) => sys.push(m));
  hub.subscribe('workers.*.hello').subscribe((m) => hello.push(m));
  await hub.flush();
  const sup = new Supervisor({
    name: 'bustest',
    bus: hub,
    url: hub.url,
    children: [
      { name: 'alpha', command: process.execPath, args: [child] },
      { name: 'beta', command: process.execPath, args: [child] },
    ],
    heartbeat: { intervalMs: 500, threshold: 20 },
  });
  try {
    sup.start();
    await until('both children said hello', () => hello.length >= 2, 30_000);
    assert.equal(hello.map((m) => m.topic).sort(), ['workers.alpha.hello', 'workers.beta.hello']);
    await within(30_000, 'stop', sup.stop());
    await until('stopped event on the bus', () => sys.some((m) => m.topic === '$sys.supervisor.bustest.stopped'), 10_000);
    const seen = sys.map((m) => m.topic.split('.').slice(3).join('.'));
    assert.equal(seen.filter((t) => t === 'started').length, 2);
    assert.is(seen.at(-1), 'stopped');
    const started = sys.find((m) => m.topic === '$sys.supervisor.bustest.started')!.data as SupervisorEvent;
    assert.is(started.type, 'started');
    assert.is(started.supervisor, 'bustest');
    assert.is(sup.publishFailures, 0);
  } finally {
    await sup.stop();
    await hub.close();
  }
});

test.run();
