/**
 * Producer half of the park/wake stress test: maps the segment named in argv[2] and writes
 * argv[3] frames in random bursts, using the real ring parking protocol. The doorbells are
 * simulated by counters at the end of the segment (a ring = Atomics.add), so millions of
 * cycles fit in seconds; a lost wake-up shows as a sleeper that waits forever (it gives up
 * after 10 s and exits 3).
 */
import { closeSync } from 'node:fs';
import { mapShared, shmOpen } from '../../../src/native/mmap.js';
import { RingProducer, segmentViews } from '../../../src/transports/shm/ring.js';
import { Control, ringOffset, segmentBytes } from '../../../src/transports/shm/layout.js';

const [name, countText, capText] = process.argv.slice(2);
const count = Number(countText);
const capacity = Number(capText);
const fd = shmOpen(name!);
const region = mapShared(fd, segmentBytes(capacity) + 64);
closeSync(fd);
const views = segmentViews(region.buffer);
const bells = new Int32Array(region.buffer, segmentBytes(capacity), 16); // [0] data bell, [1] space bell
const p = new RingProducer(views, ringOffset(capacity, 0), capacity);
const parkedIx = (ringOffset(capacity, 0) + Control.consumerParked) >>> 2;
const frame = new Uint8Array(64);
const chunks = [frame];
let seenSpace = 0;
let sleeps = 0;
let seed = 12345;
const random = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };

for (let i = 0; i < count;) {
  const burst = 1 + (random() % 4);
  for (let b = 0; b < burst && i < count; b += 1, i += 1) {
    new DataView(frame.buffer).setUint32(0, i, true);
    while (!p.offer(chunks, 8 + (i % 57))) {
      p.parkForSpace();
      if (p.offer(chunks, 8 + (i % 57))) { p.unparkForSpace(); break; }
      sleeps += 1;
      const deadline = Date.now() + 10_000;
      // Sleep until the space bell rings (a FIFO byte that arrived earlier counts too).
      while (Atomics.load(bells, 1) === seenSpace) if (Date.now() > deadline) process.exit(3);
      seenSpace = Atomics.load(bells, 1);
    }
  }
  if (p.flush()) Atomics.add(bells, 0, 1);
  // Mostly wait until the consumer has parked (a full sleep/wake cycle per burst), but give up
  // after a random budget so bursts also land inside the consumer's park/re-check window.
  for (let spin = random() % 4096; spin > 0 && Atomics.load(views.i32, parkedIx) === 0; spin -= 1);
}
p.markClosed();
if (p.flush()) Atomics.add(bells, 0, 1);
console.log(`producer sleeps ${sleeps}`);
region.release();
