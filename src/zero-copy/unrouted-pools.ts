/**
 * Pools of publishers that died before the hub ever saw them.
 *
 * A pool becomes known to the hub with its first descriptor (./hub-samples.ts), and only known
 * pools are removed when their publisher leaves. A publisher killed after its first `loan()` and
 * before its first `publish()` (a crash while filling the sample: the worst moment) left its whole
 * pool in /dev/shm (64 MiB by default) for as long as the hub lived: a publisher that crashes
 * and is restarted in a loop would fill /dev/shm. When a connection ends, the hub now looks under
 * its own prefix, after a grace, for pools it does not know whose header names a process that is
 * gone, and removes them. The grace lets the departed connection's ring be drained first: a
 * sample published just before the crash makes its pool known, and known pools go the orphan way
 * (delivered, then removed once nobody holds a sample).
 * @module
 */
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import { shmUnlink } from '../native/mmap.js';
import { procStatSync, runs } from '../process/proc-stat.js';
import { HEADER_BYTES, Header, POOL_INFIX, POOL_MAGIC } from './pool-layout.js';

/** How long after a connection ends its never-routed pools are looked for. */
const GRACE_MS = 1000;

/** The hub's sweep of {@link sweepUnroutedPools}, a grace after a connection ends. */
export class UnroutedPools {
  readonly #prefix: string;
  readonly #known: (name: string) => boolean;
  #timer: NodeJS.Timeout | undefined;

  constructor(prefix: string, known: (name: string) => boolean) {
    this.#prefix = prefix;
    this.#known = known;
  }

  /** A connection ended: sweep once its ring has been drained and routed (one sweep for many). */
  later(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      sweepUnroutedPools(this.#prefix, this.#known);
    }, GRACE_MS);
    this.#timer.unref();
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Removes the pools under `/dev/shm/<prefix>pool.` that `known` does not claim and whose owner
 * process is gone. Returns the names removed. Pools it may not read or unlink (another user's)
 * are left alone.
 */
export function sweepUnroutedPools(prefix: string, known: (name: string) => boolean): string[] {
  let entries: string[];
  try {
    entries = readdirSync('/dev/shm');
  } catch {
    return [];
  }
  const removed: string[] = [];
  const start = `${prefix}${POOL_INFIX}`;
  for (const entry of entries) {
    if (!entry.startsWith(start)) continue;
    const name = `/${entry}`;
    if (known(name)) continue;
    const owner = ownerOf(entry);
    // A zombie publishes nothing more: its pool goes too.
    if (owner === undefined || runs(procStatSync(owner))) continue;
    try {
      shmUnlink(name);
      removed.push(name);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
}

/** The owner pid a pool's header names, or undefined when it cannot be read or is not a pool. */
function ownerOf(entry: string): number | undefined {
  const header = Buffer.alloc(HEADER_BYTES);
  let fd: number;
  try {
    fd = openSync(`/dev/shm/${entry}`, 'r');
  } catch {
    return undefined;
  }
  try {
    if (readSync(fd, header, 0, HEADER_BYTES, 0) < HEADER_BYTES) return undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32LE(Header.magic) !== POOL_MAGIC) return undefined;
  const pid = header.readInt32LE(Header.ownerPid);
  return pid > 0 ? pid : undefined;
}
