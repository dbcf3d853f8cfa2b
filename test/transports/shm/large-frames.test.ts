/**
 * Frames written in place over shm that cannot go into the ring now (ring-outbox.ts): a large
 * one (a frame that does not fit one ring record, or finds the ring full) is encoded into a
 * pooled buffer (framing/large-frame-pool.ts), copied into the ring in pieces and given back once
 * it is all there; a small one into a staging chunk (staging.ts), reused once its frames are in
 * the ring. Neither is reused while a frame in it still waits for ring space (the frame would
 * arrive changed), and every frame arrives intact and in order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shmTransport } from '../../../src/transports/shm/shm-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { canWriteInPlace, type InPlaceWriter } from '../../../src/transports/capabilities.js';
import { uniqueName } from '../../helpers/run-id.js';
import { until, within } from '../../helpers/watchdog.js';

function payload(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k += 1000) f[k] = (i * 7 + k) & 0xff;
  f[size - 1] = i & 0xff;
  return f;
}

async function firstConnection(hub: AsyncIterable<Connection>): Promise<Connection> {
  for await (const c of hub) return c;
  throw new Error('listener ended');
}

/** A client connection that writes in place (shm connections do). */
type ShmWriter = Connection & InPlaceWriter;

/**
 * A hub and a client on `url` whose reader is paused (the ring fills) and collects into `got`;
 * `body` writes, resumes and checks. Both ends are closed whatever happens.
 */
async function withPausedReader(url: string, body: (writer: ShmWriter, reader: Connection, got: Uint8Array[]) => Promise<void>): Promise<void> {
  const hub = await shmTransport.listen(url);
  let writer: Connection | undefined;
  try {
    writer = await shmTransport.connect(url);
    const reader = await within(15_000, 'accept', firstConnection(hub));
    assert.ok(canWriteInPlace(writer));
    const got: Uint8Array[] = [];
    reader.pause();
    reader.consume((f) => got.push(f));
    await body(writer, reader, got);
    await reader.close();
  } finally {
    await writer?.close();
    await hub.close();
  }
}

test('frames larger than a record go through pooled buffers, reused only once in the ring', async () => {
  const url = `shm://${uniqueName('shm-large')}?size=256KiB`; // records up to 80 KiB
  // the ring fills: later frames wait for room in their pooled buffers
  await withPausedReader(url, async (writer, reader, got) => {
    const sizes = [100_000, 40_000, 300_000, 70_000, 200];
    const n = 15;
    const sent: Uint8Array[] = [];
    // Pooled buffers used (a frame written in the ring itself is at a non-zero offset).
    const held = new Set<ArrayBufferLike>();
    for (let i = 0; i < n; i++) {
      const p = payload(i, sizes[i % sizes.length]!);
      sent.push(p);
      const at = writer.reserveFrame(p.length);
      assert.ok(at >= 0 || p.length < 32 * 1024, `frame ${i} (${p.length} bytes) taken in place`);
      if (at < 0) {
        writer.write(p);
        continue;
      }
      writer.reservedBuffer.set(p, at);
      if (at === 0) held.add(writer.reservedBuffer.buffer);
      writer.commitFrame();
    }
    reader.resume();
    await until('all frames received', () => got.length >= n, 20_000);
    for (let i = 0; i < n; i++) assert.equal(got[i], sent[i], `frame ${i} arrived as written`);
    // Everything is in the ring now: the next large frame reuses a buffer given back.
    const at = writer.reserveFrame(100_000);
    assert.is(at, 0);
    assert.ok(held.has(writer.reservedBuffer.buffer), 'a buffer given back is reused');
    writer.reservedBuffer.set(payload(99, 100_000), 0);
    writer.commitFrame();
    await until('last frame', () => got.length >= n + 1, 10_000);
    assert.equal(got[n], payload(99, 100_000));
  });
});

test('small frames that find the ring full are written in place into staging chunks, reused once in the ring', async () => {
  const url = `shm://${uniqueName('shm-staged')}?size=64KiB`;
  await withPausedReader(url, async (writer, reader, got) => {
    const size = 16_000; // a 256 KiB chunk takes 16
    const n = 60; // ~1 MiB: the 64 KiB ring takes 3, the rest wait in 4 chunks
    const sent: Uint8Array[] = [];
    /** Writes `n` frames in place; returns the buffers other than the ring that held them. */
    const burst = (round: number): Set<ArrayBufferLike> => {
      const used = new Set<ArrayBufferLike>();
      for (let i = 0; i < n; i++) {
        const p = payload(round * n + i, size);
        sent.push(p);
        const at = writer.reserveFrame(size);
        // Before staging, a small frame finding the ring full was declined (-1): the caller
        // encoded it into fresh memory of its own.
        assert.ok(at >= 0, `frame ${i} of round ${round} taken in place`);
        writer.reservedBuffer.set(p, at);
        used.add(writer.reservedBuffer.buffer);
        writer.commitFrame();
      }
      return used;
    };
    const first = burst(0);
    reader.resume();
    await until('first burst received', () => got.length >= n, 20_000);
    reader.pause();
    const second = burst(1);
    const fresh = [...second].filter((b) => !first.has(b));
    assert.is(fresh.length, 0, 'the second burst waits in the chunks of the first (no fresh memory)');
    assert.ok(first.size >= 4, `frames waited in staging chunks (${first.size} buffers, the ring included)`);
    reader.resume();
    await until('second burst received', () => got.length >= 2 * n, 20_000);
    for (let i = 0; i < 2 * n; i++) assert.equal(got[i], sent[i], `frame ${i} arrived as written`);
  });
});

test('a payload of a quarter of the ring goes in place as one record; a frame that leaves no room for its like says full', async () => {
  const url = `shm://${uniqueName('shm-quarter')}`; // the default 4 MiB ring
  await withPausedReader(url, async (writer, reader, got) => {
    const size = (1 << 20) + 64; // 1 MiB with room for a bus header
    const sent: Uint8Array[] = [];
    const rooms: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const p = payload(i, size);
      sent.push(p);
      const at = writer.reserveFrame(size);
      // A pooled buffer is written at 0; the ring's data area starts after the segment header.
      assert.ok(at > 0, `frame ${i} written in the ring itself (at=${at})`);
      writer.reservedBuffer.set(p, at);
      rooms.push(writer.commitFrame());
    }
    // Three such records leave less than one more record of room in a 4 MiB ring.
    assert.equal(rooms, [true, true, false], 'full once the ring cannot take another frame of this size');
    assert.is(writer.reserveFrame(size), 0, 'the ring is indeed full: the next frame would wait in a pooled buffer');
    writer.reservedBuffer.set(sent[0]!, 0);
    sent.push(sent[0]!);
    writer.commitFrame();
    const drained = writer.drained();
    reader.resume();
    await within(15_000, 'drained once the reader freed room', drained);
    await until('all frames received', () => got.length >= sent.length, 15_000);
    for (let i = 0; i < sent.length; i++) assert.equal(got[i], sent[i], `frame ${i} arrived as written`);
  });
});

test.run();
