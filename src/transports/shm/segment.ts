/**
 * Making and opening a connection's segment (layout.ts) with either API. The client creates it
 * (0600, O_EXCL or IPC_PRIVATE), initialises the header and writes the version LAST; the hub opens
 * it by the name or id the client announced, checks owner, mode, size, magic and version before
 * trusting a byte of it, and removes the name at once (both sides are attached by then).
 * @module
 */
import { PermissionDeniedError, ProtocolError } from '../../errors.js';
import { closeFd, statFd } from '../../native/fds.js';
import { createSharedRegion } from '../../native/shm-create.js';
import { mapShared, shmOpen, shmUnlink, type MappedRegion } from '../../native/mmap.js';
import { sysvAttach, sysvCreate, sysvRemove, sysvStat } from '../../native/sysv-shm.js';
import { Header, MAGIC, VERSION, checkCapacity, segmentBytes } from './layout.js';
import type { ShmApi, ShmNames } from './options.js';

/** A mapped segment and what its header says. */
export interface Segment {
  readonly region: MappedRegion;
  readonly capacity: number;
  /** Owner uid of the segment (the client's). */
  readonly uid: number;
  /** System V id, or -1 for POSIX. */
  readonly sysvId: number;
}

/** Client side: a new zeroed segment with an initialised header. */
export function createSegment(api: ShmApi, names: ShmNames, clientId: string, capacity: number, mode: number): Segment {
  const bytes = segmentBytes(capacity);
  let region: MappedRegion;
  let sysvId = -1;
  if (api === 'sysv') {
    sysvId = sysvCreate(bytes, mode);
    try {
      region = sysvAttach(sysvId);
    } finally {
      // Marked for removal at once: the kernel frees it when the last process detaches, even if
      // both crash. Linux still lets the hub attach by id while this process is attached.
      sysvRemove(sysvId);
    }
  } else {
    region = createSharedRegion(names.segment(clientId), bytes, mode,
      `a connection's two rings (size=${capacity} each; the URL's ?size= sets it)`);
  }
  const i32 = new Int32Array(region.buffer, 0, 64);
  i32[Header.magic >>> 2] = MAGIC;
  i32[Header.capacity >>> 2] = capacity;
  i32[Header.clientPid >>> 2] = process.pid;
  // ORDER: the version is written last; a reader that sees it sees the whole header.
  Atomics.store(i32, Header.version >>> 2, VERSION);
  return { region, capacity, uid: process.getuid?.() ?? 0, sysvId };
}

/**
 * Hub side: opens a client's announced segment. Throws PermissionDeniedError for a foreign owner
 * or mode, ProtocolError for a segment that is not ours (magic, version, sizes).
 */
export function openSegment(api: ShmApi, names: ShmNames, clientId: string, sysvId: number,
  expect: { uid: number | undefined; mode: number }): Segment {
  let region: MappedRegion;
  let uid: number;
  if (api === 'sysv') {
    const st = sysvStat(sysvId);
    uid = st.uid;
    checkOwner(`sysv id=${sysvId}`, st.uid, st.mode, expect);
    region = sysvAttach(sysvId);
    sysvRemove(sysvId); // normally already marked by the client
  } else {
    const name = names.segment(clientId);
    const fd = shmOpen(name);
    try {
      const st = statFd(fd);
      uid = st.uid;
      if (!st.isFile()) throw new PermissionDeniedError(`segment is not a regular file: name=${name}`);
      checkOwner(`segment ${name}`, st.uid, st.mode & 0o777, expect);
      region = mapShared(fd, st.size);
    } finally {
      closeQuietly(fd);
      // Both sides have it mapped now: the name can go, so a crash leaves nothing in /dev/shm.
      shmUnlink(name);
    }
  }
  try {
    const i32 = new Int32Array(region.buffer, 0, 64);
    // ORDER: version first; the rest of the header was written before it.
    const version = Atomics.load(i32, Header.version >>> 2);
    const magic = i32[Header.magic >>> 2];
    const capacity = i32[Header.capacity >>> 2]!;
    if (magic !== MAGIC || version !== VERSION) {
      throw new ProtocolError(`not a unibus shm segment: magic=0x${(magic! >>> 0).toString(16)} version=${version}`);
    }
    try {
      checkCapacity(capacity);
    } catch {
      throw new ProtocolError(`segment announces capacity=${capacity}`);
    }
    if (segmentBytes(capacity) !== region.size) {
      throw new ProtocolError(`segment size=${region.size} does not match capacity=${capacity}`);
    }
    return { region, capacity, uid, sysvId };
  } catch (err) {
    region.release();
    throw err;
  }
}

function checkOwner(what: string, uid: number, mode: number, expect: { uid: number | undefined; mode: number }): void {
  if (expect.uid !== undefined && uid !== expect.uid) {
    throw new PermissionDeniedError(`${what} belongs to uid=${uid}, not uid=${expect.uid}`);
  }
  if ((mode & ~expect.mode & 0o777) !== 0) {
    throw new PermissionDeniedError(`${what} has mode=0${mode.toString(8)}, wider than mode=0${expect.mode.toString(8)}`);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeFd(fd);
  } catch {
    // nothing to do
  }
}
