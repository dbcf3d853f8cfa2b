/**
 * A view of bytes [start, end) of `bytes`, as a plain Uint8Array (never a Buffer). The hot paths
 * cut one per frame or payload: the constructor measured 22 ns against `subarray`'s 34 ns
 * (Node 20), which species lookup makes slower.
 */
export function view(bytes: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start);
}
