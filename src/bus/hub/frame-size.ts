/** Bytes of a frame given whole or in chunks (the router forwards both). */
export function frameSize(frame: Uint8Array | readonly Uint8Array[]): number {
  if (frame instanceof Uint8Array) return frame.length;
  let n = 0;
  for (let i = 0; i < frame.length; i++) n += frame[i]!.length;
  return n;
}
