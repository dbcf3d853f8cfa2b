/**
 * The receiving side of the crash tests: the publisher peer (./zc-peer.ts, `publisher` and
 * `batcher`) writes sample i as i (u32) then the byte pattern (i * 31 + k) & 255 in 100 000 bytes;
 * this subscribes `bus` to `z.>` with zeroCopy, checks each sample against that pattern and
 * releases it.
 */
import type { Bus } from '../../src/bus/bus.js';
import type { SampleMessage } from '../../src/zero-copy/sample.js';

/** The first u32 of a sample: its index. */
export const u32 = (d: Uint8Array): number => new DataView(d.buffer, d.byteOffset).getUint32(0, true);

export interface PatternCheck {
  /** Indexes of the samples received. */
  readonly seen: Set<number>;
  /** Samples that did not carry their pattern or length (a torn sample). */
  readonly torn: () => number;
}

export function checkPatterns(bus: Bus): PatternCheck {
  const seen = new Set<number>();
  let torn = 0;
  bus.subscribe('z.>', { zeroCopy: true }).subscribe((m: SampleMessage) => {
    const d = m.data;
    const i = u32(d);
    for (let k = 4; k < d.length; k++) if (d[k] !== ((i * 31 + k) & 255)) { torn++; break; }
    if (d.length !== 100_000) torn++;
    seen.add(i);
    m.release();
  });
  return { seen, torn: () => torn };
}
