/**
 * The bound of a large shm message with copy semantics: one process writes frames into a real
 * shm ring (`RingProducer.offer`) and reads them back (`RingConsumer.read`), with no Bus, no
 * doorbell and no second process. The same frames are read two ways:
 *
 * - `owned`: copied out into memory of their own, as every subscriber gets them (fresh memory
 *   per frame: allocation, first-touch page faults, and the GC that frees it);
 * - `reused`: copied into one reused buffer, as a hub that only forwards is lent them.
 *
 * Both do the same two copies (into the ring, out of it); the difference is the price of fresh
 * memory, which every transport pays on the receiving side of an owned delivery (a socket reads
 * into fresh memory too). It bounds what any shm case can reach at that size, and shows how much
 * of it is memory rather than the ring.
 *
 *   npm run build && node dist/bench/ring-bound.js              # 4 KiB, 64 KiB, 1 MiB
 *   node dist/bench/ring-bound.js 65536,1048576
 *
 * The segment is System V, marked for removal at once: nothing is left behind, even if killed.
 * @module
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { ringOffset } from '../src/transports/shm/layout.js';
import { ShmNames } from '../src/transports/shm/options.js';
import { RingConsumer, RingProducer, segmentViews } from '../src/transports/shm/ring.js';
import { createSegment } from '../src/transports/shm/segment.js';

const CAPACITY = 4 * 1024 * 1024; // the default ring size
/** Bytes moved per measurement (at least 2000 frames). */
const BYTES = 2 * 1024 * 1024 * 1024;

/** Minor page faults of this process so far. */
function minorFaults(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
}

let majorGcs = 0;
let minorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
    else minorGcs++;
  }
}).observe({ entryTypes: ['gc'] });

async function measure(size: number, mode: 'owned' | 'reused'): Promise<string> {
  const segment = createSegment('sysv', new ShmNames('ring-bound'), 'bound-1-00000000', CAPACITY, 0o600);
  try {
    const views = segmentViews(segment.region.buffer);
    const producer = new RingProducer(views, ringOffset(CAPACITY, 0), CAPACITY);
    const consumer = new RingConsumer(views, ringOffset(CAPACITY, 0), CAPACITY, 64 * 1024 * 1024);
    const frame = [new Uint8Array(size).fill(7)];
    // `reused`: lend every frame (copied into the process's reused scratch or pooled buffer).
    const lendFrom = mode === 'reused' ? 1 : 0;
    let received = 0;
    let kept: Uint8Array | null = null;
    const drain = (): void => {
      let f: Uint8Array | null;
      while ((f = consumer.read(lendFrom)) !== null) {
        kept = f; // the receiver holds it until the next one, as a subscriber might
        received++;
        if (consumer.lent) consumer.endLend();
      }
      consumer.publish();
    };
    const send = (n: number): void => {
      for (let i = 0; i < n; i++) while (!producer.offer(frame, size)) drain();
      drain();
    };
    const count = Math.max(2000, Math.round(BYTES / size));
    send(Math.round(count / 10)); // warm-up
    const gcs = [majorGcs, minorGcs];
    const faults = minorFaults();
    const r0 = received;
    const c0 = process.cpuUsage();
    send(count);
    const cpu = process.cpuUsage(c0);
    const n = received - r0;
    void kept;
    // GC entries are reported asynchronously, after the synchronous loop.
    await new Promise((r) => setTimeout(r, 50));
    return `${String(size).padStart(8)} B  ${mode.padEnd(6)}  ${((cpu.user + cpu.system) / n).toFixed(1).padStart(7)} cpu µs/frame`
      + `  ${((minorFaults() - faults) / n).toFixed(1).padStart(6)} faults/frame  GCs: ${majorGcs - gcs[0]!} major, ${minorGcs - gcs[1]!} minor`;
  } finally {
    segment.region.release();
  }
}

const sizes = (process.argv[2] ?? '4096,65536,1048576').split(',').map(Number);
if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 16 * 1024 * 1024)) {
  process.stderr.write('usage: node dist/bench/ring-bound.js [size,size...] (bytes, 1 to 16 MiB)\n');
  process.exit(2);
}
// A heap like a Bus process's (a few MB of live objects): the GC's cost depends on it.
const heap: object[] = [];
for (let i = 0; i < 100_000; i++) heap.push({ i, s: `entry ${i}` });
process.stdout.write(`shm ring bound: one process, ${CAPACITY >> 20} MiB ring, write + read per frame; Node ${process.version}\n`);
for (const size of sizes) for (const mode of ['owned', 'reused'] as const) {
  process.stdout.write(`${await measure(size, mode)}\n`);
}
void heap.length;
