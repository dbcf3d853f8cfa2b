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

test.run();
