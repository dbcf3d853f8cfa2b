/**
 * Frame lending over shm (src/transports/frame-lending.ts, ring-consumer.ts): a frame is offered
 * to the lender as a view of the process's scratch buffer (one record) or of a pooled buffer (a
 * frame in pieces); one the lender declines is delivered to the consumer, in order, as memory
 * of its own that nothing reuses afterwards, while later frames are lent and pooled buffers
 * given back and taken again. Real rings, both ends in this process.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lendsFrames } from '../../../src/transports/frame-lending.js';
import { shmTransport } from '../../../src/transports/shm/shm-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { uniqueName } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';

function frame(i: number, size: number): Uint8Array {
  const f = new Uint8Array(size);
  for (let k = 0; k < size; k++) f[k] = (i * 13 + k * 5) & 0xff;
  return f;
}

/** Where `got` differs from frame `i` of `size` bytes, or undefined (never a diff of whole arrays: slow). */
function differs(got: Uint8Array, i: number, size: number): string | undefined {
  if (got.length !== size) return `frame ${i}: ${got.length} bytes, expected ${size}`;
  const want = frame(i, size);
  for (let k = 0; k < size; k++) if (got[k] !== want[k]) return `frame ${i}: byte ${k} is ${got[k]}, expected ${want[k]}`;
  return undefined;
}

async function firstConnection(hub: AsyncIterable<Connection>): Promise<Connection> {
  for await (const c of hub) return c;
  throw new Error('listener ended');
}

test('declined frames stay intact while later frames are lent through the same memory', async () => {
  const url = `shm://${uniqueName('shm-lend')}?size=64KiB`; // records up to 16 KiB
  const hub = await shmTransport.listen(url);
  let writer: Connection | undefined;
  try {
    writer = await shmTransport.connect(url);
    const reader = await within(15_000, 'accept', firstConnection(hub));
    assert.ok(lendsFrames(reader), 'a shm connection lends');
    // Whole records (scratch) and frames in pieces (pooled), sizes repeating so buffers recur.
    const sizes = [2000, 9000, 40_000, 4096, 30_000, 1024];
    const n = 600;
    const wrong: string[] = [];
    const order: number[] = []; // frame index, lent (+) or kept (-), in arrival order
    const kept: Array<{ i: number; f: Uint8Array }> = [];
    let next = 0;
    let declined = false;
    reader.lendFrames((f) => {
      const i = next++;
      const bad = differs(f, i, sizes[i % sizes.length]!);
      if (bad !== undefined) wrong.push(`lent ${bad}`);
      if (i % 11 === 5) { // every size in turn (after a decline the next 8 frames are not offered)
        declined = true; // delivered owned next, to consume
        return false;
      }
      order.push(i);
      return true;
    });
    reader.consume((f) => {
      // The frame just declined, or one not offered at all (the records after a decline).
      const i = declined ? next - 1 : next++;
      declined = false;
      kept.push({ i, f });
      order.push(-i - 1);
    });
    for (let i = 0; i < n; i++) {
      if (!writer.write(frame(i, sizes[i % sizes.length]!))) await within(10_000, `drained ${i}`, writer.drained());
    }
    await within(20_000, 'all frames', (async () => { while (order.length < n) await new Promise((r) => setTimeout(r, 10)); })());
    // In order, each once; everything kept is still what was sent.
    const arrived = order.map((x) => (x < 0 ? -x - 1 : x));
    assert.ok(arrived.every((x, k) => x === k), `in order, each once (first out of place at ${arrived.findIndex((x, k) => x !== k)})`);
    assert.ok(kept.length >= 20, `frames declined and kept (${kept.length})`);
    for (const { i, f } of kept) {
      const bad = differs(f, i, sizes[i % sizes.length]!);
      if (bad !== undefined) wrong.push(`kept ${bad} (after later lends)`);
    }
    assert.equal(wrong.slice(0, 5), [], 'every frame as sent');
    await reader.close();
  } finally {
    await writer?.close();
    await hub.close();
  }
});

test.run();
