/** Payloads of the relay tests: message `i` of a few sizes, its index in its first 4 bytes. */

const SIZES = [8, 100, 4096, 10_000, 16_300, 20_000, 70_000, 1000];

/** Payload `i`: bytes after the index follow from `i`, so any stale or shifted byte shows. */
export function relayPayload(i: number): Uint8Array {
  const b = new Uint8Array(SIZES[i % SIZES.length]!);
  new DataView(b.buffer).setUint32(0, i, true);
  for (let k = 4; k < b.length; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** Why `b` is not payload `i`, or undefined when it is. */
export function checkRelayPayload(b: Uint8Array, i: number): string | undefined {
  const want = SIZES[i % SIZES.length]!;
  if (b.length !== want) return `length ${b.length}, expected ${want}`;
  const at = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0, true);
  if (at !== i) return `index ${at}, expected ${i}`;
  for (let k = 4; k < b.length; k++) if (b[k] !== ((i * 31 + k * 7) & 0xff)) return `byte ${k} of ${b.length} differs`;
  return undefined;
}
