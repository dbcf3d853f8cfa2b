import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fifoTransport } from '../../../src/transports/fifo/fifo-transport.js';
import { mkfifo, openFd, closeFd, writeFd, O } from '../../../src/native/fds.js';
import type { Connection, Listener } from '../../../src/transports/transport.js';
import { ChildSet, script, spawnNode } from '../../helpers/processes.js';
import { uniqueName } from '../../helpers/run-id.js';
import { until, within } from '../../helpers/watchdog.js';

const childJs = script(import.meta.url, './fifo-child.js');
const enc = new TextEncoder();
const dec = new TextDecoder();
const children = new ChildSet();
const hubs: Listener[] = [];
const bases: string[] = [];

/** A fresh parent dir (0700, no shared parent left behind) and a fifo: URL inside it. */
function place(): { dir: string; url: string } {
  const base = mkdtempSync(join('/tmp', `${uniqueName('fifo')}-`));
  bases.push(base);
  const dir = join(base, 'bus');
  return { dir, url: `fifo://${dir}` };
}

async function startHub(url: string, options?: Record<string, unknown>): Promise<Listener> {
  const hub = await fifoTransport.listen(url, options);
  hubs.push(hub);
  return hub;
}

async function accept(hub: Listener): Promise<Connection> {
  const r = await within(15_000, 'accept', hub[Symbol.asyncIterator]().next());
  assert.not.ok(r.done);
  return r.value;
}

async function echo(conn: Connection, text: string): Promise<string> {
  const it = conn[Symbol.asyncIterator]();
  await conn.send(enc.encode(text));
  return dec.decode((await within(15_000, `echo ${text}`, it.next())).value);
}

test.after.each(async () => {
  await children.killAll();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
});

test('clients in other processes connect; the pair is unlinked; the dir is 0700 and goes on close', async () => {
  const { dir, url } = place();
  const hub = await startHub(url);
  assert.is(statSync(dir).mode & 0o777, 0o700);
  const a = children.add(spawnNode(childJs, [url, 'echo']));
  const connA = await accept(hub);
  const b = children.add(spawnNode(childJs, [url, 'echo']));
  const connB = await accept(hub);
  await a.waitLine(/connected/);
  await b.waitLine(/connected/);
  assert.equal(readdirSync(dir), ['rendezvous'], 'only the rendezvous is left once pairs are open');
  assert.is(await echo(connA, 'to a'), 'to a');
  assert.is(await echo(connB, 'to b'), 'to b');
  assert.ok([a.pid, b.pid].includes(connA.peer.pid!));
  await hub.close();
  assert.not.ok(existsSync(dir), 'directory removed');
  assert.not.ok(existsSync(`${dir}.lock`), 'lock file removed');
  assert.is((await a.waitExit()).code, 0, 'client ended on EOF');
});

test('a second hub is refused; a SIGKILLed hub leaves a dir the next hub cleans up', async () => {
  const { dir, url } = place();
  const first = children.add(spawnNode(childJs, [url, 'hub']));
  await first.waitLine(/listening/);
  await fifoTransport.listen(url).then(() => assert.unreachable(), (err) => assert.is(err.name, 'HubRunningError'));
  first.kill('SIGKILL');
  await first.waitExit();
  assert.ok(existsSync(join(dir, 'rendezvous')), 'the dead hub left its dir');
  // A client of the dead hub fails at once: the rendezvous has no reader.
  await fifoTransport.connect(url).then(() => assert.unreachable(), (err) => assert.is(err.code, 'ENXIO'));
  assert.equal(readdirSync(dir), ['rendezvous'], 'the failed client left no pair');
  const hub = await startHub(url);
  const c = children.add(spawnNode(childJs, [url, 'echo']));
  assert.is(await echo(await accept(hub), 'after takeover'), 'after takeover');
  await c.waitLine(/connected/);
});

test('no hub: connect fails at once with ENOENT', async () => {
  const { url } = place();
  await within(5_000, 'connect', fifoTransport.connect(url)).then(() => assert.unreachable(), (err) => assert.is(err.code, 'ENOENT'));
});

test('a SIGKILLed client ends its connection only and leaves nothing; frames sent before exit arrive', async () => {
  const { dir, url } = place();
  const hub = await startHub(url);
  const a = children.add(spawnNode(childJs, [url, 'echo']));
  const connA = await accept(hub);
  await a.waitLine(/connected/);
  const burst = children.add(spawnNode(childJs, [url, 'burst', '1000']));
  const connB = await accept(hub);
  const got: string[] = [];
  for await (const f of connB) got.push(dec.decode(f));
  assert.is(got.length, 1000);
  assert.is(got[999], 'frame 999');
  await burst.waitExit();
  a.kill('SIGKILL');
  assert.is((await within(10_000, 'killed client', connA.closed)).reason, 'peer-gone');
  const c = children.add(spawnNode(childJs, [url, 'echo']));
  assert.is(await echo(await accept(hub), 'others go on'), 'others go on');
  await c.waitLine(/connected/);
  assert.equal(readdirSync(dir), ['rendezvous']);
});

test('a client that dies mid-handshake or before announcing leaves nothing the hub does not remove', async () => {
  const { dir, url } = place();
  await startHub(url, { handshakeTimeout: 300 });
  // Announced, but never opened its reader (it died): the hub retries ENXIO, then gives up and removes the pair.
  const name = 'c-99999999-0123456789abcdef';
  mkfifo(join(dir, `${name}.up`));
  mkfifo(join(dir, `${name}.dn`));
  const w = openFd(join(dir, 'rendezvous'), O.WRONLY | O.NONBLOCK);
  writeFd(w, enc.encode(`unibus-fifo/1 ${name}\n`));
  // Garbage on the rendezvous is ignored.
  writeFd(w, enc.encode('hello hub\n\0\0\0garbage'.repeat(10) + '\n'));
  closeFd(w);
  await until('mid-handshake pair removed', () => readdirSync(dir).length === 1, 10_000);
  // Made its pair and died before announcing (pid gone): the periodic sweep removes it.
  const dead = 'c-99999998-0123456789abcdef';
  mkfifo(join(dir, `${dead}.up`));
  mkfifo(join(dir, `${dead}.dn`));
  await until('dead pair swept', () => readdirSync(dir).length === 1, 15_000);
  assert.equal(readdirSync(dir), ['rendezvous']);
});

test('a 16 MiB frame crosses intact both ways (checksum)', async () => {
  const { url } = place();
  const hub = await startHub(url);
  children.add(spawnNode(childJs, [url, 'echo']));
  const conn = await accept(hub);
  const big = randomBytes(16 * 1024 * 1024);
  const it = conn[Symbol.asyncIterator]();
  await conn.send(big);
  const back = (await within(60_000, '16 MiB echo', it.next())).value as Uint8Array;
  assert.is(back.length, big.length);
  assert.is(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(big).digest('hex'));
});

test('many clients connecting at once park no thread: fs.stat still completes', async () => {
  const { dir, url } = place();
  const hub = await startHub(url);
  const conns = Array.from({ length: 12 }, () => fifoTransport.connect(url));
  await within(5_000, 'fs.stat during connects', stat(dir));
  const accepted: Connection[] = [];
  for (let i = 0; i < 12; i++) accepted.push(await accept(hub));
  const clients = await within(15_000, 'connects', Promise.all(conns));
  assert.is(accepted.length, 12);
  await Promise.all(clients.map((c) => c.close()));
});

test('a directory holding foreign files is refused, and a path that is a file too', async () => {
  const { dir, url } = place();
  const hub = await startHub(url);
  await hub.close();
  const { dir: d2, url: u2 } = place();
  await startHub(u2).then((h) => h.close());
  writeFileSync(join(dir, '..', 'plain'), 'x');
  await fifoTransport.listen(`fifo://${join(dir, '..', 'plain')}`).then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
  rmSync(join(dir, '..', 'plain'));
  await import('node:fs').then((fs) => { fs.mkdirSync(d2, { mode: 0o700 }); fs.writeFileSync(join(d2, 'mine.txt'), 'keep'); });
  await fifoTransport.listen(u2).then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
  assert.ok(existsSync(join(d2, 'mine.txt')), 'foreign file kept');
  await fifoTransport.listen('fifo://host/x').then(() => assert.unreachable(), (err) => assert.is(err.name, 'InvalidUrlError'));
});

test.run();
