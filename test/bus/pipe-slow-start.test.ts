/**
 * A `pipe:` hub serves a child whose runtime takes longer to start than the HELLO timeout of
 * strangers (5 s): the hub started the child itself, so it waits (on a loaded machine, Node,
 * Deno or Bun children can take seconds to reach their first line).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { firstValueFrom } from 'rxjs';
import { Bus } from '../../src/index.js';
import { script } from '../helpers/processes.js';
import { jsCommand } from '../helpers/processes.js';
import { within } from '../helpers/watchdog.js';

test('a pipe: child that says HELLO after 6 s is served, not cut by the 5 s HELLO timeout', async () => {
  const hub = await Bus.listen('pipe:');
  try {
    const hello = firstValueFrom(hub.subscribe('slow.hello'));
    await hub.flush();
    const child = hub.spawn(...jsCommand(script(import.meta.url, './peers/slow-start-child.js'), ['6000']));
    const m = await within(60_000, 'the slow child\'s message', hello);
    assert.is(m.data, child.pid);
    assert.is(await within(30_000, 'the child\'s exit', child.exited), 0);
  } finally {
    await hub.close();
  }
});

test.run();
