/**
 * Issue 13, items 12-16: every CLI error is one line and a non-zero exit (never a process left
 * running), bad URLs are refused before anything is made, and a hub outlives its stdout.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildSet } from '../helpers/processes.js';
import { tmpDir, uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';
import { cli, cliPath, stderrHas } from './cli-helpers.js';

const children = new ChildSet();
test.after.each(() => children.killAll());

/** Runs the CLI to its exit under a watchdog (a command that does not exit fails the test). */
async function exitOf(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = children.add(cli(args));
  child.proc.stdin?.end();
  const r = await child.waitExit(30_000);
  return { code: r.code, stderr: child.stderr };
}

/** One line on stderr, no stack trace. */
function assertOneLine(stderr: string, what: string): void {
  const lines = stderr.trim().split('\n');
  assert.is(lines.length, 1, `${what}: one line of error, got: ${stderr}`);
  assert.not.match(stderr, /\n\s+at /, `${what}: no stack trace`);
}

test('item 12: every bad command exits non-zero with one line, none stays alive (a live hub present)', async () => {
  const dir = tmpDir('cli-exit');
  const url = `unix://${join(dir, 'hub.sock')}`;
  const hub = children.add(cli(['hub', url]));
  await hub.waitLine(/^listening /);
  const cases: Array<[string[], number, RegExp]> = [
    [['sub', url, 'a.>.b'], 1, /Invalid topic/],
    [['sub', url, 'a..b', '--count', '1'], 1, /Invalid topic/],
    [['pub', url, 'a.*', '1'], 1, /Invalid topic/],
    [['pub', url, 'a.b', '{not json'], 2, /not valid JSON/],
    [['request', url, 'a.>', '{}'], 1, /Invalid topic/],
    [['request', url, 'nobody.serves', '{}', '--timeout', '20'], 1, /No responders/],
    [['hub', url], 1, /Hub already running/],
    [['sub', `unix://${join(dir, 'none.sock')}`, 'a'], 1, /ENOENT/],
  ];
  for (const [args, code, message] of cases) {
    const r = await exitOf(args);
    assert.is(r.code, code, `${args.join(' ')}: exit ${code}; stderr: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    if (code === 1) assertOneLine(r.stderr, args.join(' '));
  }
  hub.kill('SIGTERM');
  assert.is((await hub.waitExit()).code, 0, 'the hub served on through all of it');
});

test('item 13: a unix:// path longer than sun_path is refused in one line, exit 1, nothing left', async () => {
  const dir = tmpDir('cli-long');
  const path = join(dir, `${'x'.repeat(120)}.sock`);
  const r = await exitOf(['hub', `unix://${path}`]);
  assert.is(r.code, 1, r.stderr);
  assert.match(r.stderr, /108 bytes/);
  assertOneLine(r.stderr, 'long path');
  assert.equal(readdirSync(dir), [], 'no socket file, truncated or not');
  const c = await exitOf(['pub', `unix://${path}`, 'a', '1']);
  assert.is(c.code, 1);
  assert.match(c.stderr, /108 bytes/, 'a client is told the same');
});

test('item 14: maxFrameSize out of range and unknown parameters are one-line URL errors on every scheme', async () => {
  const dir = tmpDir('cli-query');
  const sock = `unix://${join(dir, 'q.sock')}`;
  for (const q of ['maxFrameSize=0', 'maxFrameSize=3GiB', 'maxFrameSize=8', 'maxFrameSize=abc']) {
    const r = await exitOf(['hub', `${sock}?${q}`]);
    assert.is(r.code, 1, `${q}: ${r.stderr}`);
    assert.match(r.stderr, /Invalid URL: maxFrameSize must be an integer from 4096|Invalid URL: maxFrameSize must be a size/, q);
    assertOneLine(r.stderr, q);
  }
  const name = uniqueName('q');
  const urls = [sock, `fifo://${join(dir, 'fifo')}`, `file://${join(dir, 'spool')}`, `shm://${name}`,
    `sysvmq://${join(dir, 'key')}`, 'pipe:'];
  for (const url of urls) {
    const r = await exitOf(['hub', `${url}?frob=1`]);
    assert.is(r.code, 1, `${url}?frob=1: ${r.stderr}`);
    assert.match(r.stderr, /unknown parameter "frob" \(valid for \w+: maxFrameSize/, url);
    assertOneLine(r.stderr, url);
  }
  assert.equal(readdirSync(dir), [], 'no hub made anything');
});

test('item 15: demo on memory:// exits non-zero; demo on pipe: runs and cleans up', async () => {
  const m = await exitOf(['demo', '--url', 'memory://x']);
  assert.is.not(m.code, 0, m.stderr);
  assert.match(m.stderr, /cross-process/);
  const demo = children.add(cli(['demo', '--url', 'pipe:']));
  const r = await demo.waitExit(90_000);
  assert.is(r.code, 0, demo.stderr);
  assert.ok(demo.lines.some((l) => l.includes('average in kitchen')), demo.lines.join('\n'));
  assert.ok(demo.lines.some((l) => l.includes('nothing left behind')));
});

test('item 16: a hub whose stdout and stderr readers are gone serves on and cleans up on SIGTERM', async () => {
  const dir = tmpDir('cli-epipe');
  const path = join(dir, 'hub.sock');
  const url = `unix://${path}`;
  const proc = spawn(process.execPath, [cliPath, 'hub', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    await within(15_000, 'hub listening', new Promise<void>((resolve) => {
      proc.stdout.on('data', (d: Buffer) => { if (d.toString().includes('listening')) resolve(); });
    }));
    // Like `| head -1`: the readers close their ends; the hub's next write gets EPIPE.
    proc.stdout.destroy();
    proc.stderr.destroy();
    for (let i = 0; i < 3; i++) {
      const sub = children.add(cli(['sub', url, 'e.p', '--count', '1', '--timeout', '20']));
      await stderrHas(sub, 'subscribed'); // each join makes the hub write peer-joined to stderr
      const pub = children.add(cli(['pub', url, 'e.p', String(i)]));
      assert.is((await pub.waitExit()).code, 0, pub.stderr);
      assert.is((await sub.waitExit()).code, 0, sub.stderr);
      assert.equal(sub.lines, [`{"topic":"e.p","data":${i}}`]);
    }
    assert.is(proc.exitCode, null, 'the hub outlived its stdout and stderr');
    proc.kill('SIGTERM');
    assert.is(await within(20_000, 'hub exit', exited), 0);
    assert.not.ok(existsSync(path), 'socket removed');
  } finally {
    proc.kill('SIGKILL');
  }
});

test('item 16: SIGHUP (a closed terminal) cleans up like SIGTERM', async () => {
  const dir = tmpDir('cli-hup');
  const path = join(dir, 'hub.sock');
  const hub = children.add(cli(['hub', `unix://${path}`]));
  await hub.waitLine(/^listening /);
  hub.kill('SIGHUP');
  const r = await hub.waitExit();
  assert.is(r.code, 129, `exit 128+1 after cleanup (${r.signal ?? ''})`);
  assert.not.ok(existsSync(path), 'socket removed');
});

test.run();
