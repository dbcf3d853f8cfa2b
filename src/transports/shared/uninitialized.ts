/**
 * A plain Uint8Array over memory that is not zero-filled, for slabs that are always written
 * before they are read. Plain (not a Buffer): `subarray()` on it is much cheaper than on a
 * Buffer, which matters when a frame view is cut per message.
 */
export function uninitialized(bytes: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
