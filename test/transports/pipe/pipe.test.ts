import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { listenPipe, pipeTransport } from '../../../src/transports/pipe/pipe-transport.js';
import type { PipeListener } from '../../../src/transports/pipe/pipe-listener.js';
import type { Connection, Listener } from '../../../src/transports/transport.js';
import { O } from '../../../src/native/fds.js';
import { script } from '../../helpers/processes.js';
import { within } from '../../helpers/watchdog.js';

const child = script(import.meta.url, './pipe-child.js');
const enc = new TextEncoder();
const dec = new TextDecoder();
const openFds = () => readdirSync('/proc/self/fd').length;
/** Every hub a test starts, closed after each test even when it failed (children end with it). */
const hubs: PipeListener[] = [];
async function startHub(options?: Record<string, unknown>): Promise<PipeListener> {
  const hub = await listenPipe('pipe:', options);
  hubs.push(hub);
  return hub;
}

async function accept(hub: Listener): Promise<Connection> {
  const it = hub[Symbol.asyncIterator]();
  const r = await within(10_000, 'accept', it.next());
  assert.not.ok(r.done);
  return r.value;
}

function lines(proc: import('node:child_process').ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
  });
}

test('a child gets real blocking pipes on fds 3/4, adopts them close-on-exec and deletes the variable', async () => {
  const hub = await startHub();
  const c = hub.spawn(process.execPath, [child, 'info'], { stdio: 'pipe' });
  const conn = await accept(hub);
  const info = JSON.parse(await within(15_000, 'child info', lines(c.child)));
  assert.is(info.before.env, '3,4');
  assert.is(info.before.flags3 & O.NONBLOCK, 0, 'the hub\'s O_NONBLOCK did not leak into the child');
  assert.is(info.before.flags4 & O.NONBLOCK, 0);
  assert.is(info.after.env, null);
  assert.ok(info.after.cloexec3 && info.after.cloexec4);
  assert.match(info.links[0], /^pipe:\[\d+\]$/);
  assert.match(info.links[1], /^pipe:\[\d+\]$/);
  assert.match(info.grandchild, /env=unset/);
  const glinks: string[] = info.grandchild.split('\n').slice(1).filter(Boolean).map((l: string) => l.split(' ')[1]);
  assert.ok(glinks.length >= 3, info.grandchild);
  assert.not.ok(glinks.some((l) => info.links.includes(l)), `grandchild inherited a bus pipe: ${glinks}`);
  assert.is(info.second, 'UnsupportedError');
  assert.is(info.peer.pid, process.pid);
  assert.is(conn.peer.pid, c.pid);
  // From outside, too: the kernel shows the child's bus fds as pipes.
  assert.match(readlinkSync(`/proc/${c.pid}/fd/3`), /^pipe:\[\d+\]$/);
  assert.match(readlinkSync(`/proc/${c.pid}/fd/4`), /^pipe:\[\d+\]$/);
  await conn.send(enc.encode('ping'));
  const it = conn[Symbol.asyncIterator]();
  assert.is(dec.decode((await within(10_000, 'echo', it.next())).value), 'ping');
  await hub.close();
  assert.is(await c.exited, 0, 'the child ended on EOF');
});

test('frames echo in order; a child that exits right after sending loses nothing; the hub goes on', async () => {
  const before = openFds();
  const hub = await startHub();
  const echo = hub.spawn(process.execPath, [child, 'echo']);
  const echoConn = await accept(hub);
  const burst = hub.spawn(process.execPath, [child, 'burst', '500']);
  const burstConn = await accept(hub);
  const got: string[] = [];
  for await (const f of burstConn) got.push(dec.decode(f));
  assert.is(got.length, 500);
  assert.is(got[0], 'frame 0');
  assert.is(got[499], 'frame 499');
  const closed = await within(10_000, 'burst closed', burstConn.closed);
  assert.ok(closed.reason === 'peer-gone' || closed.reason === 'clean', closed.reason);
  assert.is(await burst.exited, 0);
  // The other child is unaffected.
  const it = echoConn[Symbol.asyncIterator]();
  for (let i = 0; i < 100; i++) echoConn.write(enc.encode(`m${i}`));
  for (let i = 0; i < 100; i++) assert.is(dec.decode((await within(10_000, 'echo', it.next())).value), `m${i}`);
  await hub.close();
  assert.is(await echo.exited, 0);
  assert.is(openFds(), before, 'every fd released');
});

test('a SIGKILLed child ends its connection only', async () => {
  const hub = await startHub();
  const a = hub.spawn(process.execPath, [child, 'echo']);
  const aConn = await accept(hub);
  const b = hub.spawn(process.execPath, [child, 'echo']);
  const bConn = await accept(hub);
  const bIt = bConn[Symbol.asyncIterator]();
  await bConn.send(enc.encode('warm'));
  await within(10_000, 'warm echo', bIt.next());
  b.child.kill('SIGKILL');
  const closed = await within(10_000, 'killed child closes', bConn.closed);
  assert.is(closed.reason, 'peer-gone');
  assert.is(await b.exited, 'SIGKILL');
  const aIt = aConn[Symbol.asyncIterator]();
  await aConn.send(enc.encode('still here'));
  assert.is(dec.decode((await within(10_000, 'echo', aIt.next())).value), 'still here');
  await hub.close();
  assert.is(await a.exited, 0);
});

test('a 16 MiB frame crosses intact both ways (checksum)', async () => {
  const hub = await startHub();
  const c = hub.spawn(process.execPath, [child, 'echo']);
  const conn = await accept(hub);
  const big = randomBytes(16 * 1024 * 1024);
  const sum = createHash('sha256').update(big).digest('hex');
  const it = conn[Symbol.asyncIterator]();
  await conn.send(big);
  const back = (await within(60_000, '16 MiB echo', it.next())).value as Uint8Array;
  assert.is(back.length, big.length);
  assert.is(createHash('sha256').update(back).digest('hex'), sum);
  await hub.close();
  await c.exited;
});

test('close() ends children that ignore EOF (grace, then SIGTERM)', async () => {
  const hub = await startHub({ childGrace: 300 });
  const c = hub.spawn('/bin/sleep', ['60']);
  await accept(hub);
  await within(10_000, 'hub close', hub.close());
  assert.is(await c.exited, 'SIGTERM');
  assert.throws(() => hub.spawn('/bin/true'), /Closed/);
});

test('a command that cannot start: exited says ENOENT and its connection ends', async () => {
  const hub = await startHub();
  const c = hub.spawn('/nonexistent/unibus-command');
  const conn = await accept(hub);
  assert.is(await within(10_000, 'exited', c.exited), 'ENOENT');
  await within(10_000, 'connection ends', conn.closed);
  await hub.close();
});

test('detached and extraStdio: the child leads its own group and gets exactly fds 0-5, fd 5 a socketpair', async () => {
  const before = openFds();
  const hub = await startHub();
  // cat holds the fds it was given and ends on EOF from the hub (fd 3 as its stdin).
  const script = 'printf beat >&5; exec cat <&3 >/dev/null';
  const c = hub.spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], extraStdio: ['pipe'] });
  const plain = hub.spawn('/bin/sh', ['-c', script], { stdio: 'ignore', extraStdio: ['ignore'] });
  await accept(hub);
  await accept(hub);
  assert.equal(c.extraFds, [5]);
  const beat = (c.child.stdio as unknown[])[5] as import('node:net').Socket;
  assert.ok(beat, 'the hub side of fd 5');
  const got = await within(10_000, 'a byte on fd 5', new Promise<string>((resolve) => beat.once('data', (d) => resolve(String(d)))));
  assert.is(got, 'beat');
  assert.ok(c.child.stdout, 'stdio entries given one by one');
  const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const [, , pgrp, session] = stat(c.pid);
  assert.is(Number(pgrp), c.pid, 'detached: process group leader');
  assert.is(Number(session), c.pid, 'detached: session leader');
  assert.is(Number(stat(plain.pid)[2]), Number(stat(process.pid)[2]), 'not detached: our group');
  // Besides 0-5 the child holds only what this process inherited itself without close-on-exec.
  const ours = new Set(readdirSync('/proc/self/fd').map((fd) => { try { return `${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`; } catch { return ''; } }));
  const theirs = readdirSync(`/proc/${c.pid}/fd`).map(Number).sort((a, b) => a - b);
  assert.equal(theirs.slice(0, 6), [0, 1, 2, 3, 4, 5]);
  for (const fd of theirs.slice(6)) assert.ok(ours.has(`${fd} ${readlinkSync(`/proc/${c.pid}/fd/${fd}`)}`), `stray fd ${fd} in the child`);
  assert.match(readlinkSync(`/proc/${c.pid}/fd/5`), /^socket:\[\d+\]$/);
  assert.match(readlinkSync(`/proc/${c.pid}/fd/3`), /^pipe:\[\d+\]$/);
  assert.throws(() => hub.spawn('/bin/true', [], { extraStdio: ['bogus' as never] }), /extraStdio\[0\]/);
  assert.throws(() => hub.spawn('/bin/true', [], { stdio: ['ignore', 'ignore'] as never }), /3 entries/);
  await hub.close();
  assert.is(await c.exited, 0, 'EOF on fd 3 ended it');
  assert.is(await plain.exited, 0);
  beat.destroy();
  c.child.stdout!.destroy();
  assert.is(openFds(), before, 'every fd released');
});

test('bad URLs and a connect outside a spawned child are refused with typed errors', async () => {
  delete process.env.UNIBUS_PIPE_FDS;
  await pipeTransport.connect('pipe:').then(() => assert.unreachable(), (err) => assert.is(err.name, 'UnsupportedError'));
  process.env.UNIBUS_PIPE_FDS = '0,1';
  await pipeTransport.connect('pipe:').then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
  process.env.UNIBUS_PIPE_FDS = '7,8';
  await pipeTransport.connect('pipe:').then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
  delete process.env.UNIBUS_PIPE_FDS;
  await pipeTransport.listen('pipe://host/x').then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
  await pipeTransport.listen('unix:///x').then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
});

test.after.each(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

test.run();
