/**
 * The one place the shm transport reaches the kernel helpers it shares with other transports
 * (FIFOs, pid watching through a pidfd that libuv polls, hub liveness), so each can be swapped
 * here alone.
 * @module
 */
export { mkfifo } from '../../native/fds.js';
export { watchPid } from '../../native/process.js';
export { acquireHubLiveness } from '../unix/hub-liveness.js';
