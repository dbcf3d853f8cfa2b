/**
 * The hub liveness lock of a sysvmq address: the one place the transport takes it. A hub holds
 * an OFD lock on `<path>.lock` (src/sync/liveness-lock.ts) while alive; the kernel drops it when
 * the hub dies (even by SIGKILL). Only the holder creates or removes the rendezvous queue, so a
 * live hub's queue is never taken over and two hubs started at once cannot both win.
 * @module
 */
import { HubRunningError } from '../../errors.js';
import { LivenessLock } from '../../sync/liveness-lock.js';

export interface LivenessHold {
  release(): Promise<void>;
}

/** Takes the liveness lock of `path`; rejects with `HubRunningError` (naming `url`) when a live hub holds it. */
export async function acquireLiveness(path: string, url: string): Promise<LivenessHold> {
  let lock: LivenessLock;
  try {
    lock = LivenessLock.acquire(path);
  } catch (err) {
    if (err instanceof HubRunningError) throw new HubRunningError(url, `a live hub holds ${LivenessLock.lockPathFor(path)}`);
    throw err;
  }
  return { release: async () => lock.release() };
}

/** True when a live process holds the liveness lock of `path`. */
export async function livenessHeld(path: string): Promise<boolean> {
  return LivenessLock.isHeld(path);
}
