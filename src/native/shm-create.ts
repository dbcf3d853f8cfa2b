/**
 * Making a new POSIX shared-memory segment that is safe to write: created (O_EXCL), sized, every
 * page reserved, then mapped. Used by the shm rings and the zero-copy pools.
 *
 * Why reserve: a segment in /dev/shm (tmpfs) is sparse after `ftruncate`; its pages are found
 * only when first written. With /dev/shm full (Docker gives containers 64 MiB by default), that
 * first write is a SIGBUS and the process dies on the spot (exit 135) with its objects left
 * behind. `fallocate` takes the pages at creation instead, so a full /dev/shm is a `LimitError`
 * from `connect()` or `loan()` and everything else keeps running.
 * @module
 */
import { LimitError, isSystemError } from '../errors.js';
import { closeFd, reserveFd, truncateFd } from './fds.js';
import { mapShared, shmOpen, shmUnlink, type MappedRegion } from './mmap.js';

/**
 * Creates segment `name` (`mode`, O_EXCL) of `bytes`, reserves its pages and maps it. On any
 * failure the name is removed again. Throws `LimitError` (limit "shared memory space") when
 * /dev/shm has no room; `what` says what the segment is for, in that message.
 * @example
 * ```ts
 * const region = createSharedRegion('/unibus-demo.ring', 1 << 20, 0o600, 'a 1 MiB ring of shm://demo');
 * ```
 */
export function createSharedRegion(name: string, bytes: number, mode: number, what: string): MappedRegion {
  const fd = shmOpen(name, { create: true, mode });
  try {
    truncateFd(fd, bytes);
    reserveFd(fd, bytes);
    return mapShared(fd, bytes);
  } catch (err) {
    shmUnlink(name);
    if (isSystemError(err, 'ENOSPC') || isSystemError(err, 'ENOMEM')) {
      throw Object.assign(new LimitError('shared memory space',
        `no room in /dev/shm for ${what} (${bytes} bytes, ${(err as Error & { code: string }).code}): free space there, give it more (e.g. docker run --shm-size), or ask for less`),
      { cause: err });
    }
    throw err;
  } finally {
    try {
      closeFd(fd);
    } catch {
      // the mapping (if any) holds the segment; nothing else to do
    }
  }
}
