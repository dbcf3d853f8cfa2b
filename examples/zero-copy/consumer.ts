/**
 * Reads 1080p frames in place with a zero-copy subscription: `m.data` is a read-only view of the
 * producer's shared memory; `using` gives each frame back when the loop body ends.
 * Run by run.ts: node dist/examples/zero-copy/consumer.js <url> <name> <frames>
 */
import { Bus } from '../../src/index.js';

const FRAME_BYTES = 1920 * 1080 * 3;
const [url, name, countText] = process.argv.slice(2);
const frames = Number(countText);
const bus = await Bus.connect(url!);
const subscription = bus.subscribe('frames.*', { zeroCopy: true });
const iterator = subscription[Symbol.asyncIterator]();
await bus.flush();
process.send?.('ready');

let seen = 0;
let bad = 0;
let started = 0;
while (seen < frames) {
  const { value: m, done } = await iterator.next();
  if (done) break;
  using frame = m;
  if (seen === 0) started = performance.now();
  const px = frame.data;
  const i = new DataView(px.buffer, px.byteOffset).getUint32(0, true);
  if (px.length !== FRAME_BYTES || px[FRAME_BYTES - 1] !== (i & 255) || px[4095] !== (i & 255)) bad++;
  seen++;
}
await iterator.return?.();
const seconds = Math.max(1e-3, (performance.now() - started) / 1000);
// Everything this consumer received through its ring: the frames themselves never came through it.
const ring = bus.stats().bytesReceived;
const copied = ring >= seen * FRAME_BYTES ? seen * FRAME_BYTES : 0;
console.log(`consumer ${name}: ${seen} frames (${bad} bad), ${(seen / seconds).toFixed(0)} frames/s, `
  + `${((seen * FRAME_BYTES) / 2 ** 20).toFixed(0)} MiB viewed, bytes copied: ${copied} (ring traffic ${ring} bytes)`);
await bus.close();
process.exitCode = bad === 0 && seen === frames ? 0 : 1;
