/**
 * The client side of the shm example: publishes raw "camera frames" (1 MiB each, then one of
 * 16 MiB: larger than the 4 MiB ring, it streams through in pieces) with their checksum.
 * Run: node dist/examples/shm/camera.js [frames]
 */
import { createHash, randomFillSync } from 'node:crypto';
import { Bus } from '../../src/index.js';

const url = process.env.UNIBUS_URL ?? 'shm://unibus-example?size=4MiB';
const count = Number(process.argv[2] ?? 200);
const bus = await Bus.connect(url);

const pixels = randomFillSync(new Uint8Array(1024 * 1024));
const sha256 = createHash('sha256').update(pixels).digest('hex');
for (let seq = 0; seq < count; seq += 1) {
  await bus.publish('camera.frame', { seq, sha256, pixels }); // waits only while the ring is full
}
const big = randomFillSync(new Uint8Array(16 * 1024 * 1024 - 4096)); // room for the envelope
await bus.publish('camera.frame', { seq: -1, sha256: createHash('sha256').update(big).digest('hex'), pixels: big });
await bus.flush(); // the hub has everything
console.log(`camera: sent ${count + 1} frames`);
await bus.close();
