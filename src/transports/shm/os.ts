/**
 * The one place the shm transport reaches the kernel helpers it shares with other transports
 * (FIFOs, pid watching, hub liveness), so each can be swapped here alone.
 * @module
 */
export { mkfifo, watchPid } from '../../native/interim-fifo-pid.js';
export { acquireHubLiveness } from '../unix/hub-liveness.js';
