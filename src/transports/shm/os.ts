/**
 * The one place the shm transport reaches the kernel helpers it shares with other transports
 * (FIFOs, pid watching through a pidfd that libuv polls, hub liveness), so each can be swapped
 * here alone.
 * @module
 */
import { chmodSync } from 'node:fs';
import { mkfifo } from '../../native/fds.js';

/**
 * Makes a FIFO with exactly `mode`: the umask (022 by default) would take the write bits a
 * hub's `mode: 0o666` gives other users (their announce and bell writes then failed EACCES).
 * /dev/shm is sticky, so nobody else can swap the path between the two calls.
 */
export function makeFifo(path: string, mode: number): void {
  mkfifo(path, mode);
  chmodSync(path, mode);
}
export { watchPid } from '../../native/process.js';
export { acquireHubLiveness } from '../unix/hub-liveness.js';
