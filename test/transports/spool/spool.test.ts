import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openSync, readdirSync, writeSync, closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import type { Corruption } from '../../../src/transports/spool/log-reader.js';
import { crc32Portable } from '../../../src/transports/spool/crc32.js';
import { crc32 } from 'node:zlib';
import { tmpDir } from '../../helpers/run-id.js';
import { dec, enc, takeText as take } from '../../helpers/frames.js';
import { script, spawnNode } from '../../helpers/processes.js';
import { readFileSync } from 'node:fs';
import { until, within } from '../../helpers/watchdog.js';
import { removeTmp } from '../../sync/cleanup.js';
import { unsentOf } from '../../../src/transports/capabilities.js';

const dir = tmpDir('spool');
let n = 0;
const fresh = (): string => `file://${join(dir, `s${(n += 1)}`)}`;

test.after(() => removeTmp(dir));


async function accept(hub: AsyncIterable<Connection>): Promise<Connection> {
  const r = await within(10_000, 'accept', hub[Symbol.asyncIterator]().next());
  assert.not.ok(r.done);
  return r.value;
}

test('crc32: the portable table matches zlib', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog');
  assert.is(crc32Portable(data), 0x414fa339);
  assert.is(crc32Portable(data), crc32(data));
});

test('frames both ways, boundaries and order kept, zero-length frames, clean close', async () => {
  const url = fresh();
  const hub = await spoolTransport.listen(url);
  const client = await spoolTransport.connect(`${url}?consumer=alice`);
  for (let i = 0; i < 100; i++) client.write(enc(`m${i}`));
  await client.send(new Uint8Array(0));
  const server = await accept(hub);
  const got = await take(server, 101);
  assert.equal(got, [...Array.from({ length: 100 }, (_, i) => `m${i}`), '']);
  await server.send([enc('re'), enc('ply')]);
  assert.equal(await take(client, 1), ['reply']);
  await client.close();
  assert.is((await within(10_000, 'server closed', server.closed)).reason, 'clean');
  await hub.close();
});

test('survives restarts: frames sent while no hub runs are delivered to the next hub', async () => {
  const url = fresh();
  const client = await spoolTransport.connect(`${url}?consumer=bob`);
  for (let i = 0; i < 10; i++) await client.send(enc(`a${i}`));
  const hub1 = await spoolTransport.listen(url);
  const s1 = await accept(hub1);
  assert.equal(await take(s1, 5), ['a0', 'a1', 'a2', 'a3', 'a4']);
  await hub1.close();
  for (let i = 0; i < 3; i++) await client.send(enc(`b${i}`));
  const hub2 = await spoolTransport.listen(url);
  const s2 = await accept(hub2);
  // a4 may repeat (at-least-once: the last frame taken was not yet known to be handled)
  const rest: string[] = [];
  const it = s2[Symbol.asyncIterator]();
  while (rest[rest.length - 1] !== 'b2') rest.push(dec((await within(10_000, 'frames', it.next())).value));
  assert.equal(rest.filter((x) => x !== 'a4'), ['a5', 'a6', 'a7', 'a8', 'a9', 'b0', 'b1', 'b2']);
  // reading `down`, the client learns that its hub went (hub1's bye) and ends
  client.consume(() => undefined);
  assert.ok(['clean', 'peer-gone'].includes((await within(10_000, 'client ends', client.closed)).reason));
  await hub2.close();
});

test('handBackUnsent: a new hub declines a session an earlier hub served; the client gets back what no hub took', async () => {
  const url = fresh();
  const log = join(dir, 'handback.log');
  const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);
  const first = spawnNode(script(import.meta.url, './crash-consumer.js'), [url, log]);
  await first.waitLine(/^listening$/);
  const client = await spoolTransport.connect(`${url}?consumer=carol`, { handBackUnsent: true });
  client.consume(() => undefined);
  for (let i = 0; i < 5; i++) await client.send(enc(`${i}:${'abcdefghij'.repeat(2 + (i % 5))}`));
  await until('the first hub took 5', () => lines().length >= 5, 10_000);
  first.kill('SIGKILL');
  await first.exited;
  for (let i = 5; i < 8; i++) await client.send(enc(`gap${i}`));
  const hub = await spoolTransport.listen(url);
  const closed = await within(10_000, 'the client ends', client.closed);
  assert.is(closed.reason, 'peer-gone');
  // at least once: the last frame the killed hub took may not have been committed
  assert.equal(unsentOf(closed).map(dec).filter((x) => x.startsWith('gap')), ['gap5', 'gap6', 'gap7']);
  const accepted = hub[Symbol.asyncIterator]();
  const next = accepted.next();
  const none = await Promise.race([next.then(() => 'accepted'), new Promise((r) => setTimeout(() => r('none'), 400))]);
  assert.is(none, 'none', 'the declined session is not served');
  const again = await spoolTransport.connect(`${url}?consumer=carol`);
  await again.send(enc('c0'));
  const r = await within(10_000, 'the next session', next);
  assert.equal(await take(r.value as Connection, 1), ['c0'], 'the declined session\'s frames were skipped');
  await again.close();
  await hub.close();
});

test('mid-file corruption is skipped, counted and reported with its offset; a torn tail is cut', async () => {
  const url = fresh();
  const client = await spoolTransport.connect(`${url}?consumer=carol`);
  for (let i = 0; i < 5; i++) await client.send(enc(`frame-${i}`));
  const upDir = join(url.slice('file://'.length), 'channels', 'carol', 'up');
  const seg = readdirSync(upDir).find((f) => f.endsWith('.seg'))!;
  // corrupt the payload of frame 2 (found by its text, wherever the session header ends)
  const fd = openSync(join(upDir, seg), 'r+');
  const buf = Buffer.alloc(4096);
  const size = (await import('node:fs')).readSync(fd, buf, 0, 4096, 0);
  const at = buf.subarray(0, size).indexOf('frame-2');
  assert.ok(at > 0);
  writeSync(fd, Buffer.from('XXXXX'), 0, 5, at);
  // and a torn tail: half a header after the last record
  writeSync(fd, Buffer.from([0x55, 0x42, 0x53]), 0, 3, size);
  closeSync(fd);
  await client.close();
  const seen: Corruption[] = [];
  const hub = await spoolTransport.listen(url, { onCorrupt: (c: Corruption) => seen.push(c) });
  const s = await accept(hub);
  const got: string[] = [];
  s.consume((f) => got.push(dec(f)));
  await within(10_000, 'frames', s.closed);
  assert.equal(got, ['frame-0', 'frame-1', 'frame-3', 'frame-4']);
  assert.is(seen.length, 1);
  assert.is(seen[0]!.fileOffset, at - 16);
  assert.is(seen[0]!.skipped, 24);
  await hub.close();
  // the next writer of `up` cut the torn tail
  const c2 = await spoolTransport.connect(`${url}?consumer=carol`);
  await c2.close();
});

test('segments are deleted once the consumer passed them', async () => {
  const url = `${fresh()}?segmentSize=4096`;
  const hub = await spoolTransport.listen(url);
  const client = await spoolTransport.connect(`${url}&consumer=dave`);
  const server = await accept(hub);
  const got: string[] = [];
  server.consume((f) => got.push(dec(f)));
  const big = 'x'.repeat(1000);
  for (let i = 0; i < 40; i++) await client.send(enc(`${i}:${big}`));
  const upDir = join(dir, `s${n}`, 'channels', 'dave', 'up');
  await until('all delivered', () => got.length >= 40, 10_000);
  await client.send(enc('last'));
  const segs = readdirSync(upDir).filter((f) => f.endsWith('.seg'));
  assert.ok(segs.length <= 3, `segments left: ${segs.length}`);
  assert.is(got[39], `39:${big}`);
  await client.close();
  await hub.close();
});

test('an anonymous client\'s channel is removed after it closes; a name in use is refused', async () => {
  const url = fresh();
  const hub = await spoolTransport.listen(url);
  const anon = await spoolTransport.connect(url);
  const s = await accept(hub);
  await anon.send(enc('hi'));
  assert.equal(await take(s, 1), ['hi']);
  await anon.close();
  await within(10_000, 'closed', s.closed);
  const channels = join(dir, `s${n}`, 'channels');
  await until('channel removed', () => readdirSync(channels).length === 0, 10_000);
  const a = await spoolTransport.connect(`${url}?consumer=erin`);
  const err = await spoolTransport.connect(`${url}?consumer=erin`).catch((e: unknown) => e);
  assert.is((err as { code?: string }).code, 'ERR_UNIBUS_PERMISSION');
  const err2 = await spoolTransport.listen(url).catch((e: unknown) => e);
  assert.is((err2 as { code?: string }).code, 'ERR_UNIBUS_HUB_RUNNING');
  await a.close();
  await hub.close();
  assert.not.ok(existsSync(join(dir, `s${n}`, 'hub.lock')));
});

test.run();
