/**
 * The hub liveness lock of a sysvmq address: the one place the transport takes it. A hub holds
 * it while alive and the kernel drops it when the hub dies (even by SIGKILL); only the holder
 * creates or removes the rendezvous queue, so a live hub's queue is never taken over and two
 * hubs started at once cannot both win.
 *
 * Today this is the abstract Unix socket named from uid + path (../unix/hub-liveness.ts: no file
 * is left anywhere, which suits literal-key URLs). The OFD lock of src/sync/liveness-lock.ts can
 * replace it here without any other change.
 * @module
 */
import { acquireHubLiveness } from '../unix/hub-liveness.js';
import { HubRunningError } from '../../errors.js';

export interface LivenessHold {
  release(): Promise<void>;
}

/** Takes the liveness lock of `path`; rejects with `HubRunningError` when a live hub holds it. */
export async function acquireLiveness(path: string, url: string): Promise<LivenessHold> {
  const server = await acquireHubLiveness(`${path}#sysvmq`, url);
  return { release: () => new Promise<void>((r) => server.close(() => r())) };
}

/** True when a live process holds the liveness lock of `path` (tries to take it, then lets go). */
export async function livenessHeld(path: string): Promise<boolean> {
  try {
    const hold = await acquireLiveness(path, 'sysvmq:');
    await hold.release();
    return false;
  } catch (err) {
    if (err instanceof HubRunningError) return true;
    throw err;
  }
}
