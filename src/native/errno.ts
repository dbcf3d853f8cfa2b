/**
 * errno → Node-shaped errors. Read errno right after the call: any Node sync syscall in between
 * overwrites it. Inside a `.async` callback, `koffi.errno()` is that call's.
 * @module
 */
import { systemError, type SystemError } from '../errors.js';
import { native } from './loader.js';

/** The errno of the last koffi call on this thread. */
export function lastErrno(): number {
  return native().koffi.errno();
}

/** An error for the last failed call, shaped like Node's (`code`, `errno`, `syscall`, `path`). */
export function lastError(syscall: string, path?: string): SystemError {
  return systemError(syscall, lastErrno(), path);
}

/** Throws the last error when `ret` is negative; returns `ret` otherwise. */
export function check(ret: number, syscall: string, path?: string): number {
  if (ret < 0) throw lastError(syscall, path);
  return ret;
}

/** errno values the transports test for. */
export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, EBADF: 9, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENOSPC: 28, ESPIPE: 29, EPIPE: 32,
  ERANGE: 34, EDEADLK: 35, ENOSYS: 38, ENOMSG: 42, EIDRM: 43, ELOOP: 40, ETIMEDOUT: 110,
} as const;
