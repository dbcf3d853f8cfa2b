// `unibus top`: --once prints one frame sorted by rate; under a pseudo-terminal (util-linux
// `script`) it redraws in place and restores the cursor when stopped.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Child, ChildSet, script, spawnNode } from '../helpers/processes.js';
import { tmpDir } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';
import { cli, cliPath } from './cli-helpers.js';

const children = new ChildSet();
test.after.each(() => children.killAll());
const traffic = script(import.meta.url, './monitor-traffic.js');

let hub: Child | undefined;
/** Stops the hub with SIGTERM (SIGKILL would leave its socket behind). */
async function stopHub(): Promise<void> {
  hub?.kill('SIGTERM');
  if (hub) assert.is((await hub.waitExit()).code, 0, hub.stderr);
  hub = undefined;
}

async function busyHub(): Promise<string> {
  const url = `unix://${join(tmpDir('top'), 'hub.sock')}`;
  hub = children.add(cli(['hub', url]));
  await hub.waitLine(/^listening /);
  const a = children.add(spawnNode(traffic, [url, 'fast-sensor', 'slow.>', 'fast.topic:8']));
  const b = children.add(spawnNode(traffic, [url, 'slow-sensor', 'fast.>', 'slow.topic:1']));
  await a.waitLine(/^ready$/);
  await b.waitLine(/^ready$/);
  return url;
}

test('top --once prints topics sorted by rate and the peers', async () => {
  const url = await busyHub();
  const top = children.add(cli(['top', url, '--once', '--timeout', '30']));
  assert.is((await top.waitExit()).code, 0, top.stderr);
  const out = top.lines.join('\n');
  assert.match(out, /^unibus top {2}unix:\/\/.* hub hub-\d+ pid \d+/);
  const fast = top.lines.findIndex((l) => l.startsWith('fast.topic '));
  const slow = top.lines.findIndex((l) => l.startsWith('slow.topic '));
  assert.ok(fast > 0 && slow > fast, `fast.topic listed above slow.topic:\n${out}`);
  assert.ok(Number.parseFloat(top.lines[fast]!.split(/\s+/)[1]!) > 0, out);
  assert.match(out, /^PEER +PID +TRANSPORT +IN\/S +OUT\/S +FILL +DROPS +STATE$/m);
  assert.match(out, /^fast-sensor +\d+ +unix /m);
  assert.match(out, /^slow-sensor +\d+ +unix /m);
  await stopHub();
});

test('top --once fails clearly when no hub is there', async () => {
  const top = children.add(cli(['top', `unix://${join(tmpDir('top'), 'none.sock')}`, '--once']));
  assert.is((await top.waitExit()).code, 1);
  assert.match(top.stderr, /^unibus: /);
});

test('top under a pseudo-terminal redraws in place and gives the cursor back on SIGTERM', async () => {
  if (!existsSync('/usr/bin/script')) throw new Error('util-linux `script` is needed for the pty test');
  const url = await busyHub();
  // `script` gives top a pty; -e passes top's exit code through.
  const proc = spawn('/usr/bin/script', ['-qefc', `${process.execPath} ${cliPath} top ${url}`, '/dev/null'],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, COLUMNS: '100', LINES: '40' } });
  const pty = children.add(new Child(proc));
  let raw = '';
  proc.stdout!.on('data', (d: Buffer) => { raw += d.toString(); });
  await until('two frames drawn', () => raw.split('\x1b[H').length > 2 && raw.includes('fast.topic'), 30_000);
  assert.ok(raw.includes('\x1b[?25l'), 'cursor hidden while drawing');
  const ttyPid = await until('top running under the pty', () => findTop(proc.pid!), 10_000);
  process.kill(ttyPid, 'SIGTERM');
  await pty.waitExit();
  assert.ok(raw.includes('\x1b[?25h'), 'cursor shown again on exit');
  await stopHub();
});

/** The `unibus top` process under `script` (its grandchild through the pty). */
function findTop(scriptPid: number): number | undefined {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' });
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/, 3)).map(([pid, ppid, args]) => ({ pid: +pid!, ppid: +ppid!, args: args ?? '' }));
  const kids = (p: number): typeof rows => rows.filter((r) => r.ppid === p);
  const queue = kids(scriptPid);
  while (queue.length) {
    const r = queue.shift()!;
    if (r.args.includes('node') || r.args.includes(process.execPath)) {
      const full = out.split('\n').find((l) => l.trim().startsWith(`${r.pid} `)) ?? '';
      if (full.includes(' top ')) return r.pid;
    }
    queue.push(...kids(r.pid));
  }
  return undefined;
}

test.run();
