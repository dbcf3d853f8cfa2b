/**
 * A stream connection reuses its batch slabs once the kernel has them (framing/slab-pool.ts):
 * no byte of a frame may change while the socket still holds it. Many frames of every batch
 * size, written far past the high-water mark against a reader that starts late, are received
 * exactly as written, in order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { canWriteInPlace } from '../../../src/transports/capabilities.js';
import { slabsFreeBytes } from '../../../src/transports/framing/slab-pool.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

/** Frame `i`: its length varies (small, near the 16 KiB copy limit, large), its bytes tell `i`. */
function frame(i: number): Uint8Array {
  const sizes = [40, 4096, 16 * 1024 - 1, 9000, 70_000, 300];
  const f = new Uint8Array(sizes[i % sizes.length]!);
  for (let k = 0; k < f.length; k++) f[k] = (i + k * 13) & 0xff;
  return f;
}

test('slabs reused after their write completes never change a frame in flight', async () => {
  const url = `unix:///tmp/${uniqueName('slabs')}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  try {
    const writer = await unixTransport.connect(url);
    const reader = (await accepted.next()).value as Connection;
    const n = 3000;
    let bad = -1;
    let got = 0;
    const done = new Promise<void>((resolve) => {
      reader.consume((f) => {
        const want = frame(got);
        if (bad < 0 && (f.length !== want.length || !f.every((b, k) => b === want[k]))) bad = got;
        if (++got === n) resolve();
      });
    });
    reader.pause(); // the writer runs ahead: writes queue in the socket while slabs fill and retire
    const late = setTimeout(() => reader.resume(), 300);
    assert.ok(canWriteInPlace(writer), 'a unix connection writes in place');
    const inPlace = writer;
    const sending = (async () => {
      for (let i = 0; i < n; i++) {
        // Encoded straight into the batch (the bus's in-place path) where it fits, else written.
        const f = frame(i);
        const at = inPlace.reserveFrame(f.length);
        let room: boolean;
        if (at >= 0) {
          inPlace.reservedBuffer.set(f, at);
          room = inPlace.commitFrame();
        } else room = writer.write(f);
        if (!room) await writer.drained();
      }
    })();
    await within(60_000, 'all frames sent', sending);
    await within(60_000, 'all frames received', done);
    clearTimeout(late);
    assert.is(bad, -1, `frame #${bad} arrived changed`);
    await writer.close();
    await reader.close();
  } finally {
    await listener.close();
  }
});

test('connections writing ahead of full share free slabs and never change a frame in flight', async () => {
  const url = `unix:///tmp/${uniqueName('slabs-shared')}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  try {
    // Two pairs at once: a slab one connection frees may be taken by the other.
    const pairs: Array<{ writer: Connection; reader: Connection }> = [];
    for (let k = 0; k < 2; k++) {
      const writer = await unixTransport.connect(url);
      pairs.push({ writer, reader: (await accepted.next()).value as Connection });
    }
    const n = 4000;
    const runs = pairs.map(({ writer, reader }, k) => {
      let bad = -1;
      let got = 0;
      const received = new Promise<void>((resolve) => {
        reader.consume((f) => {
          const want = frame(got + k);
          if (bad < 0 && (f.length !== want.length || !f.every((b, j) => b === want[j]))) bad = got;
          if (++got === n) resolve();
        });
      });
      reader.pause();
      const late = setTimeout(() => reader.resume(), 200);
      const sent = (async () => {
        assert.ok(canWriteInPlace(writer), 'a unix connection writes in place');
        for (let i = 0; i < n; i++) {
          const f = frame(i + k);
          const at = writer.reserveFrame(f.length);
          if (at >= 0) {
            writer.reservedBuffer.set(f, at);
            writer.commitFrame();
          } else writer.write(f);
          // As a publisher with a window of unawaited publishes: "full" is heeded only every 600
          // frames (over 2 MiB in flight, past the high-water mark and one connection's old 6 slabs).
          if (i % 600 === 599) await writer.drained();
        }
      })();
      return (async () => {
        await within(60_000, `pair ${k}: all frames sent`, sent);
        await within(60_000, `pair ${k}: all frames received`, received);
        clearTimeout(late);
        assert.is(bad, -1, `pair ${k}: frame #${bad} arrived changed`);
      })();
    });
    await Promise.all(runs);
    // What they had in flight is kept for the process, past one connection's old 6 slabs.
    assert.ok(slabsFreeBytes() > 6 * 256 * 1024, `${slabsFreeBytes()} bytes of free slabs kept`);
    for (const { writer, reader } of pairs) {
      await writer.close();
      await reader.close();
    }
  } finally {
    await listener.close();
  }
});

test.run();
