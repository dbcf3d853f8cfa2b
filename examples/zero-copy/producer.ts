/**
 * Fills 1080p RGB frames (1920 × 1080 × 3 = 6 220 800 bytes) straight into shared memory with
 * `bus.loan()`, and publishes each: only a descriptor of a few dozen bytes crosses the hub.
 * Run by run.ts: node dist/examples/zero-copy/producer.js <url> <frames>
 */
import { Bus } from '../../src/index.js';

export const FRAME_BYTES = 1920 * 1080 * 3;
const [url, countText] = process.argv.slice(2);
const frames = Number(countText);
const bus = await Bus.connect(url!);

const started = performance.now();
for (let i = 0; i < frames; i++) {
  // Waits while the pool is full (both consumers still hold earlier frames).
  const sample = await bus.loan('frames.cam1', FRAME_BYTES, { timeout: 10_000 });
  const px = sample.data;
  new DataView(px.buffer, px.byteOffset).setUint32(0, i, true); // frame number
  px[FRAME_BYTES - 1] = i & 255;                                // and a mark at the far end
  px.fill(i & 255, 4, 4096);                                    // a "camera" writes its pixels here
  await sample.publish();
}
await bus.flush();
const seconds = (performance.now() - started) / 1000;
console.log(`producer: ${frames} frames of ${FRAME_BYTES} bytes, ${(frames / seconds).toFixed(0)} frames/s`);
await bus.close();
