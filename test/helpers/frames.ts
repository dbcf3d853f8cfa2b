/** Frames as text, for transport tests that send strings. */
import type { Connection } from '../../src/transports/transport.js';
import { within } from './watchdog.js';

export const enc = (s: string): Uint8Array => Buffer.from(s);
export const dec = (b: Uint8Array): string => Buffer.from(b).toString();

/** The next `count` frames of `conn` as text (fewer when it ends first), each under a watchdog. */
export async function takeText(conn: Connection, count: number): Promise<string[]> {
  const out: string[] = [];
  if (count === 0) return out;
  const it = conn[Symbol.asyncIterator]();
  while (out.length < count) {
    const r = await within(10_000, `frame ${out.length + 1} of ${count}`, it.next());
    if (r.done) break;
    out.push(dec(r.value));
  }
  return out;
}
