/**
 * `shm://name?size=4MiB`: two processes exchange frames through lock-free rings in shared
 * memory; the kernel is involved only to wake a side that sleeps (a FIFO doorbell).
 *
 * - Per client, one segment with a ring for each direction (layout.ts), made by the client in
 *   /dev/shm (`api=posix`, default) or with shmget (`api=sysv`), mode 0600; names are removed as
 *   soon as both sides have them open, so a crash leaves nothing behind.
 * - `size` is each ring's capacity (a power of two, 4KiB-1GiB, default 4MiB); frames larger than
 *   5/16 of it (a quarter and room for headers) stream through in pieces, up to `maxFrameSize`
 *   (default 16MiB).
 * - `spin=µs`: after traffic, a reader whose ring ran empty polls it (on setImmediate) that long
 *   before it parks on its doorbell (default 0: parks at once, and an idle connection uses no
 *   CPU). Spinning lowers latency at the price of a busy core while traffic lasts. Every empty
 *   poll first yields the core (`sched_yield`, once per event-loop turn), so where spinners
 *   outnumber cores the process with work runs at once; and a sender with `spin` rings a parked
 *   reader at each commit, not at the end of its turn.
 * - Peer death: pidfd / pid liveness of the pid in the header; `peerTimeout=ms` also ends a
 *   connection whose peer's heartbeat word stands still that long.
 *
 * @example
 * ```ts
 * const hub = await shmTransport.listen('shm://app?size=1MiB');
 * const conn = await shmTransport.connect('shm://app?size=1MiB'); // in another process
 * await conn.send(new TextEncoder().encode('hello'));
 * ```
 * @module
 */
import { DEFAULT_MAX_FRAME_SIZE } from '../transport.js';
import type { Capabilities, Transport } from '../transport.js';
import { connectShm } from './client.js';
import { listenShm } from './hub.js';

const capabilities: Capabilities = {
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  peerIdentity: 'pid+uid',
  durable: false,
  peerDeathEvents: true,
  crossProcess: true,
  spawnsClients: false,
};

/** The `shm:` transport. */
export const shmTransport: Transport = {
  scheme: 'shm', capabilities, requires: ['fd-streams'], listen: listenShm, connect: connectShm,
};
