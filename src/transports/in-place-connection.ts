/**
 * The base of connections that offer in-place writing (`InPlaceWriter`, ./capabilities.ts): a
 * backend with its own outgoing buffer (a socket write batch, a shm ring) implements
 * `reserveInPlace` / `commitInPlace`, and encoders write small frames straight into it.
 * @module
 */
import { BaseConnection } from './connection-base.js';
import type { InPlaceWriter } from './capabilities.js';

/** `reservedBuffer` before any reservation. */
const NO_BUFFER = new Uint8Array(0);

export abstract class InPlaceConnection extends BaseConnection implements InPlaceWriter {
  /** The buffer of the last successful `reserveFrame()` (set by `reserveInPlace`). */
  reservedBuffer: Uint8Array = NO_BUFFER;

  reserveFrame(size: number): number {
    this.checkWritable(size);
    return this.reserveInPlace(size);
  }

  commitFrame(): boolean {
    return this.noteRoom(this.commitInPlace());
  }

  /**
   * Room for a frame of `size` bytes in the backend's buffer: sets `reservedBuffer` and returns
   * the offset there, or -1 when it cannot take this frame in place now.
   */
  protected abstract reserveInPlace(size: number): number;

  /** Sends the frame reserved last (only called after a successful `reserveInPlace`). */
  protected abstract commitInPlace(): boolean;
}
