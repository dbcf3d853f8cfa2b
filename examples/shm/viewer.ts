/**
 * The hub side of the shm example: serves `shm://` and checks every frame the camera sends.
 * Run: node dist/examples/shm/viewer.js   (then the camera in another terminal)
 */
import { createHash } from 'node:crypto';
import { Bus } from '../../src/index.js';

interface Frame { seq: number; sha256: string; pixels: Uint8Array }

const url = process.env.UNIBUS_URL ?? 'shm://unibus-example?size=4MiB';
const bus = await Bus.listen(url);
console.log(`viewer listening on ${url}`);
process.once('SIGINT', () => void bus.close());

let frames = 0;
let bytes = 0;
let started = 0;
for await (const m of bus.subscribe('camera.frame')) {
  const f = m.data as Frame;
  const sha = createHash('sha256').update(f.pixels).digest('hex');
  if (sha !== f.sha256) throw new Error(`frame ${f.seq} corrupted`);
  if (frames === 0) started = performance.now();
  frames += 1;
  bytes += f.pixels.length;
  if (f.seq < 0) break; // the camera's last frame
}
const seconds = (performance.now() - started) / 1000;
console.log(`viewer: ${frames} frames intact (sha256 checked), ${(bytes / 2 ** 20).toFixed(0)} MiB, ${(bytes / 2 ** 20 / seconds).toFixed(0)} MiB/s`);
await bus.close();
