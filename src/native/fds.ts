/**
 * File descriptors, pipes and FIFOs: thin typed wrappers over libc. Every fd made here is
 * O_CLOEXEC (a child inherits only what is handed to it on purpose, e.g. through `spawn`'s stdio
 * array). Reads and writes are synchronous and meant for non-blocking fds: they return
 * {@link WOULD_BLOCK} instead of parking. Failures throw errors shaped like Node's (`code`,
 * `errno`, `syscall`, `path`).
 *
 * @example
 * ```ts
 * const [r, w] = pipe();
 * setNonBlocking(r, true);
 * writeFd(w, new TextEncoder().encode('hi'));
 * const buf = new Uint8Array(16);
 * readFd(r, buf); // 2
 * closeFd(r); closeFd(w);
 * ```
 * @module
 */
import { statSync, type Stats } from 'node:fs';
import { native } from './loader.js';
import { Errno, lastErrno, lastError } from './errno.js';
import { systemError } from '../errors.js';

/** open(2) flags (x86-64 / aarch64 Linux values). */
export const O = {
  RDONLY: 0,
  WRONLY: 0o1,
  RDWR: 0o2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  CLOEXEC: 0o2000000,
} as const;

/** fcntl(2) commands and flags. */
export const F = {
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
} as const;

/** The close-on-exec fd flag (F_GETFD / F_SETFD). */
export const FD_CLOEXEC = 1;

/** Writes of at most this many bytes to a pipe or FIFO are atomic among many writers. */
export const PIPE_BUF = 4096;

/** What {@link readFd} and {@link writeFd} return when a non-blocking fd has no data / no room. */
export const WOULD_BLOCK = -1;

interface FdBindings {
  pipe2: (fds: Int32Array, flags: number) => number;
  open: (path: string, flags: number, ...vararg: unknown[]) => number;
  close: (fd: number) => number;
  read: (fd: number, buf: Uint8Array, n: number) => number;
  write: (fd: number, buf: Uint8Array, n: number) => number;
  fcntl: (fd: number, cmd: number, ...vararg: unknown[]) => number;
  mkfifo: (path: string, mode: number) => number;
  ftruncate: (fd: number, length: number) => number;
  fallocate: (fd: number, mode: number, offset: number, length: number) => number;
}

let bound: FdBindings | undefined;

function libc(): FdBindings {
  if (bound) return bound;
  const { libc: lib } = native();
  bound = {
    pipe2: lib.func('int pipe2(_Out_ int *fds, int flags)'),
    // open and fcntl are variadic: extra arguments go as (type, value) pairs.
    open: lib.func('int open(const char *path, int flags, ...)'),
    close: lib.func('int close(int fd)'),
    read: lib.func('intptr read(int fd, void *buf, size_t count)'),
    write: lib.func('intptr write(int fd, const void *buf, size_t count)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, ...)'),
    mkfifo: lib.func('int mkfifo(const char *path, uint32 mode)'),
    ftruncate: lib.func('int ftruncate(int fd, int64 length)'),
    fallocate: lib.func('int fallocate(int fd, int mode, int64 offset, int64 length)'),
  } as FdBindings;
  return bound;
}

/**
 * Makes a pipe with `pipe2(O_CLOEXEC)`. Both ends are blocking: set O_NONBLOCK on the ends this
 * process keeps (each end is its own open file description, so a child's end stays blocking).
 * @returns `[readEnd, writeEnd]`
 */
export function pipe(): [read: number, write: number] {
  const fds = new Int32Array(2);
  if (libc().pipe2(fds, O.CLOEXEC) < 0) throw lastError('pipe2');
  return [fds[0]!, fds[1]!];
}

/**
 * `open(2)` with O_CLOEXEC always added. Pass `O.NOFOLLOW` to refuse a symlink (ELOOP), and
 * `O.NONBLOCK` for FIFOs (a blocking FIFO open would park the thread until the other side opens).
 */
export function openFd(path: string, flags: number, mode = 0o600): number {
  const fd = libc().open(path, flags | O.CLOEXEC, 'uint32', mode);
  if (fd < 0) throw lastError('open', path);
  return fd;
}

/** `close(2)`. EINTR is not retried (on Linux the fd is released anyway). */
export function closeFd(fd: number): void {
  if (libc().close(fd) < 0) {
    const errno = lastErrno();
    if (errno !== Errno.EINTR) throw systemError('close', errno);
  }
}

/**
 * Reads up to `buf.length` bytes. Returns the count, 0 at end of file (every writer gone), or
 * {@link WOULD_BLOCK} when a non-blocking fd has nothing to read.
 */
export function readFd(fd: number, buf: Uint8Array): number {
  const f = libc().read;
  for (;;) {
    const n = f(fd, buf, buf.length);
    if (n >= 0) return n;
    const errno = lastErrno();
    if (errno === Errno.EAGAIN) return WOULD_BLOCK;
    if (errno !== Errno.EINTR) throw systemError('read', errno);
  }
}

/**
 * Writes up to `buf.length` bytes. Returns the count written (maybe fewer than asked), or
 * {@link WOULD_BLOCK} when a non-blocking fd has no room. EPIPE (no reader left) throws.
 */
export function writeFd(fd: number, buf: Uint8Array): number {
  const f = libc().write;
  for (;;) {
    const n = f(fd, buf, buf.length);
    if (n >= 0) return n;
    const errno = lastErrno();
    if (errno === Errno.EAGAIN) return WOULD_BLOCK;
    if (errno !== Errno.EINTR) throw systemError('write', errno);
  }
}

function fcntlInt(fd: number, cmd: number, arg?: number): number {
  const ret = arg === undefined ? libc().fcntl(fd, cmd) : libc().fcntl(fd, cmd, 'int', arg);
  if (ret < 0) throw lastError('fcntl');
  return ret;
}

/** The file status flags (F_GETFL): access mode, O_NONBLOCK, O_APPEND. */
export function getStatusFlags(fd: number): number {
  return fcntlInt(fd, F.GETFL);
}

/** Sets or clears O_NONBLOCK on the open file description of `fd` (shared with its dups). */
export function setNonBlocking(fd: number, on: boolean): void {
  const flags = getStatusFlags(fd);
  const next = on ? flags | O.NONBLOCK : flags & ~O.NONBLOCK;
  if (next !== flags) fcntlInt(fd, F.SETFL, next);
}

/** True when O_NONBLOCK is set on `fd`'s open file description. */
export function isNonBlocking(fd: number): boolean {
  return (getStatusFlags(fd) & O.NONBLOCK) !== 0;
}

/** Sets or clears FD_CLOEXEC on this fd (a per-fd flag, not shared with dups). */
export function setCloseOnExec(fd: number, on: boolean): void {
  const flags = fcntlInt(fd, F.GETFD);
  const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  if (next !== flags) fcntlInt(fd, F.SETFD, next);
}

/** True when FD_CLOEXEC is set on `fd`. */
export function isCloseOnExec(fd: number): boolean {
  return (fcntlInt(fd, F.GETFD) & FD_CLOEXEC) !== 0;
}

/**
 * Asks for a pipe buffer of `bytes` (F_SETPIPE_SZ); returns the size the kernel gave (rounded up
 * to pages; EPERM above /proc/sys/fs/pipe-max-size for unprivileged users).
 */
export function setPipeSize(fd: number, bytes: number): number {
  return fcntlInt(fd, F.SETPIPE_SZ, bytes);
}

/** The pipe buffer size of `fd` (F_GETPIPE_SZ). */
export function getPipeSize(fd: number): number {
  return fcntlInt(fd, F.GETPIPE_SZ);
}

/**
 * Makes a FIFO at `path` (EEXIST if anything is there: a FIFO is never reused blindly). The
 * process umask can only narrow `mode`.
 */
export function mkfifo(path: string, mode = 0o600): void {
  if (libc().mkfifo(path, mode) < 0) throw lastError('mkfifo', path);
}

/**
 * `fstat(2)` of an fd made by this module (or inherited). Read through `/proc/self/fd/N`, which
 * names exactly the open file: Deno's `node:fs` knows only the fds it opened itself (its own
 * resource ids) and answers EBADF for an OS fd, while a path works on every runtime.
 */
export function statFd(fd: number): Stats {
  return statSync(`/proc/self/fd/${fd}`);
}

/** True when `fd` is a pipe or FIFO. */
export function isFifo(fd: number): boolean {
  return statFd(fd).isFIFO();
}

/** `ftruncate(2)`: sets the size of the file open on `fd`. */
export function truncateFd(fd: number, bytes: number): void {
  if (libc().ftruncate(fd, bytes) < 0) throw lastError('ftruncate');
}

/**
 * `fallocate(2)` mode 0: gives the first `bytes` of the file open on `fd` real storage now, so a
 * full filesystem is an error here (ENOSPC) rather than later. On tmpfs (/dev/shm) that is the
 * difference between a clear error and SIGBUS at the first write to an unbacked page of a
 * mapping. Returns false where the filesystem cannot reserve (EOPNOTSUPP, ENOSYS): nothing is
 * reserved then, as before.
 */
export function reserveFd(fd: number, bytes: number): boolean {
  for (;;) {
    if (libc().fallocate(fd, 0, 0, bytes) === 0) return true;
    const err = lastError('fallocate');
    // tmpfs gives up a long reservation when a signal arrives (EINTR, not restarted): what it
    // reserved stays, so asking again goes on from there.
    if (err.code === 'EINTR') continue;
    if (err.code === 'EOPNOTSUPP' || err.code === 'ENOSYS') return false;
    throw err;
  }
}
