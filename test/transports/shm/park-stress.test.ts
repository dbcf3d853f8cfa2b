/**
 * Millions of park/wake cycles between two processes over the real ring parking protocol, with
 * doorbells simulated by shared counters so the count fits CI: no frame lost, none reordered, and
 * no lost wake-up (a sleeper whose bell never comes fails after 10 s). Bounded by count
 * (STRESS_FRAMES, default 1,000,000: about 400,000 bursts, each a park/wake cycle or a race with one) and by the runner's watchdog.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, ftruncateSync } from 'node:fs';
import { mapShared, shmOpen, shmUnlink } from '../../../src/native/mmap.js';
import { RingConsumer, segmentViews } from '../../../src/transports/shm/ring.js';
import { ringOffset, segmentBytes } from '../../../src/transports/shm/layout.js';
import { script, spawnNode } from '../../helpers/processes.js';
import { uniqueName } from '../../helpers/run-id.js';

const FRAMES = Number(process.env.STRESS_FRAMES ?? 1_000_000);
const CAPACITY = 4096; // small: the producer fills it and parks for space often

test(`park/wake: ${FRAMES} frames, every cycle of parking on both sides, nothing lost`, async () => {
  const name = `/${uniqueName('park')}`;
  const fd = shmOpen(name, { create: true });
  ftruncateSync(fd, segmentBytes(CAPACITY) + 64);
  const region = mapShared(fd, segmentBytes(CAPACITY) + 64);
  closeSync(fd);
  try {
    const views = segmentViews(region.buffer);
    const bells = new Int32Array(region.buffer, segmentBytes(CAPACITY), 16);
    const c = new RingConsumer(views, ringOffset(CAPACITY, 0), CAPACITY, 1 << 20);
    const child = spawnNode(script(import.meta.url, './park-stress-producer.js'), [name, String(FRAMES), String(CAPACITY)]);
    let next = 0;
    let parks = 0;
    let aborted = 0;
    let seenData = 0;
    // The consumer runs in slices so the event loop still sees the child's output and exit.
    await new Promise<void>((resolve, reject) => {
      const slice = (): void => {
        const until = Date.now() + 50;
        while (Date.now() < until) {
          let f: Uint8Array | null;
          while ((f = c.read()) !== null) {
            const seq = new DataView(f.buffer, f.byteOffset).getUint32(0, true);
            if (seq !== next || f.length !== 8 + (seq % 57)) { reject(new Error(`frame ${seq} (len ${f.length}) where ${next} was due`)); return; }
            next += 1;
          }
          if (c.publish()) Atomics.add(bells, 1, 1);
          if (c.producerClosed() && !c.ready()) { resolve(); return; }
          if (!c.park()) { aborted += 1; continue; }
          parks += 1;
          const deadline = Date.now() + 10_000;
          while (Atomics.load(bells, 0) === seenData) {
            if (Date.now() > deadline) { reject(new Error(`lost wake-up: consumer parked at frame ${next} and never rung`)); return; }
          }
          seenData = Atomics.load(bells, 0);
        }
        setImmediate(slice);
      };
      slice();
    });
    const out = await child.waitExit(60_000);
    assert.is(out.code, 0, `producer exit ${out.code} (3: lost wake-up on the producer side) ${child.stderr}`);
    assert.is(next, FRAMES);
    const sleeps = Number(/producer sleeps (\d+)/.exec(child.lines.join('\n'))?.[1] ?? 0);
    console.log(`consumer parks ${parks} (aborted by the re-check ${aborted}), producer sleeps ${sleeps}`);
    assert.ok(parks + aborted + sleeps > FRAMES / 5, 'the test must actually park');
  } finally {
    region.release();
    shmUnlink(name);
  }
});

test.run();
