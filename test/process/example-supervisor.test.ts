/** examples/supervisor end to end: the guide's three workers under `unibus supervise`. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { script, spawnNode } from '../helpers/processes.js';
import { liveInGroup } from './events.js';

const cli = script(import.meta.url, '../../../bin/unibus.js');
const config = script(import.meta.url, '../../../examples/supervisor/supervise.json');

interface Line { type: string; child?: string; pid?: number; attempt?: number; reason?: string; code?: number | null }

test('the hanger is killed and restarted, the quitter restarted, the steady shell worker untouched, the watcher hears it on the bus; SIGINT cleans up', async () => {
  const sup = spawnNode(cli, ['supervise', config]);
  const events = (): Line[] => sup.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  try {
    // Events are printed with `type` and `child` first.
    await sup.waitLine(/^\{"type":"started","child":"quitter",.*"attempt":2/, 60_000);
    await sup.waitLine(/^\{"type":"started","child":"hanger",.*"attempt":2/, 60_000);
    sup.kill('SIGINT');
    const { code } = await sup.waitExit(60_000);
    assert.is(code, 0, sup.stderr);
    const all = events();
    const of = (child: string): string[] => all.filter((e) => e.child === child).map((e) => e.type);
    assert.ok(of('hanger').includes('hung'), of('hanger').join(' '));
    const quitterExit = all.find((e) => e.child === 'quitter' && e.type === 'exited');
    assert.is(quitterExit?.code, 1);
    assert.not.ok(of('steady').includes('hung'));
    assert.is(all.filter((e) => e.child === 'steady' && e.type === 'started').length, 1);
    assert.is(all.at(-1)?.type, 'stopped');
    // The watcher heard the hang on the supervisor's pipe: bus (its stdout is the CLI's stderr).
    assert.match(sup.stderr, /watcher: hanger hung/);
    for (const e of all) if (e.type === 'started') assert.equal(await liveInGroup(e.pid!), [], `${e.child} pid=${e.pid}`);
  } finally {
    sup.kill('SIGKILL');
  }
});

test.run();
