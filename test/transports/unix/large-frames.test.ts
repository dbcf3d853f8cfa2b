/**
 * Large frames written in place over a stream connection (framing/large-frame-pool.ts): each
 * gets a buffer of its own, which goes back to the process's free store once the kernel has
 * it and is reused by the next large frame, instead of fresh memory per frame. A frame given
 * whole to `write()` is never copied (it is sent by reference).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { canWriteInPlace } from '../../../src/transports/capabilities.js';
import { classSize } from '../../../src/transports/framing/large-frame-pool.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

const MiB = 1024 * 1024;

function payload(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k += 4096) f[k] = (i + k) & 0xff;
  f[size - 1] = i & 0xff;
  return f;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

async function pair(label: string): Promise<{ writer: Connection; reader: Connection; close(): Promise<void> }> {
  const url = `unix:///tmp/${uniqueName(label)}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  const writer = await unixTransport.connect(url);
  const reader = (await accepted.next()).value as Connection;
  return {
    writer, reader,
    close: async () => { await writer.close(); await reader.close(); await listener.close(); },
  };
}

test('size classes are quarter powers of two: a 1 MiB payload and its envelope take 1.25 MiB', () => {
  assert.is(classSize(100), 32 * 1024);
  assert.is(classSize(64 * 1024), 64 * 1024);
  assert.is(classSize(64 * 1024 + 5), 80 * 1024);
  assert.is(classSize(MiB + 40), 1.25 * MiB);
  for (let n = 1; n < 4 * MiB; n = Math.ceil(n * 1.37)) {
    const c = classSize(n);
    assert.ok(c >= n && (n <= 32 * 1024 || c <= n * 1.25 + 1), `class of ${n}: ${c}`);
  }
});

test('large frames written in place reuse one buffer once each is written, and arrive intact', async () => {
  const { writer, reader, close } = await pair('large');
  try {
    assert.ok(canWriteInPlace(writer));
    const n = 12;
    const got: Uint8Array[] = [];
    reader.consume((f) => got.push(f));
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < n; i++) {
      const p = payload(i, MiB);
      const at = writer.reserveFrame(p.length);
      assert.ok(at >= 0, 'a large frame is taken in place');
      writer.reservedBuffer.set(p, at);
      buffers.add(writer.reservedBuffer.buffer);
      writer.commitFrame();
      // Resolves once everything before is in the kernel: the buffer is free again.
      await within(20_000, `frame ${i} written`, writer.send(new Uint8Array(0)));
    }
    await within(20_000, 'all frames received', (async () => {
      while (got.length < 2 * n) await new Promise((r) => setTimeout(r, 10));
    })());
    for (let i = 0; i < n; i++) assert.ok(same(got[2 * i]!, payload(i, MiB)), `frame ${i} arrived as written`);
    assert.is(buffers.size, 1, 'each large frame reused the buffer of the one before');
  } finally {
    await close();
  }
});

test('a large frame given to write() is sent as it is, and a buffer still in the socket is never reused', async () => {
  const { writer, reader, close } = await pair('large-q');
  try {
    assert.ok(canWriteInPlace(writer));
    const n = 40;
    const got: Uint8Array[] = [];
    reader.pause(); // frames queue in the socket: every buffer taken is still held
    reader.consume((f) => got.push(f));
    const buffers = new Set<ArrayBufferLike>();
    const sizes = [70_000, MiB, 300_000, 17_000];
    const sent: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const p = payload(i, sizes[i % sizes.length]!);
      sent.push(p);
      if (i % 3 === 0) {
        writer.write(p);
        continue;
      }
      const at = writer.reserveFrame(p.length);
      writer.reservedBuffer.set(p, at);
      buffers.add(writer.reservedBuffer.buffer);
      writer.commitFrame();
    }
    reader.resume();
    const written = writer.send(new Uint8Array(0));
    await within(30_000, 'all frames received', (async () => {
      while (got.length < n + 1) await new Promise((r) => setTimeout(r, 10));
    })());
    await within(10_000, 'written', written);
    for (let i = 0; i < n; i++) assert.ok(same(got[i]!, sent[i]!), `frame ${i} arrived as written`);
    assert.is(buffers.size, n - Math.ceil(n / 3), 'no buffer was taken twice while the socket held it');
  } finally {
    await close();
  }
});

test.run();
