/**
 * The appending side of a spool log: a directory of segment files named by the log position
 * of their first byte (20 digits), a `head` file with the committed end, and one offset file
 * per named consumer under `consumers/`.
 *
 * One process appends to a log at a time (the caller guarantees it with a lock: the client
 * lock for a channel's `up` log, the hub's liveness lock for `down`). Opening the writer cuts
 * a torn tail: records past the last valid one are truncated away.
 *
 * A batch is written with one `writev`, then (with `sync`) fsynced on the thread pool, then
 * `head` is advanced: readers never read past `head`, so they never see a half-written batch.
 * @module
 */
import { closeSync, constants, fstatSync, fsync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { LimitError } from '../../errors.js';
import { PositionFile } from './position-file.js';
import { encodeHeader, padding, parseRecord, recordSize } from './record.js';

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
const IOV_MAX = 1000;

export interface LogOptions {
  mode: number;
  /** Start a new segment when the current one would grow past this (bytes). */
  segmentSize: number;
  /** fsync each batch before it counts as written. */
  sync: boolean;
  maxFrameSize: number;
}

/** A frame to append: its chunks and total size; control records are transport-internal. */
export interface Append {
  chunks: readonly Uint8Array[];
  size: number;
  control?: boolean;
}

export function segmentName(base: number): string {
  return `${String(base).padStart(20, '0')}.seg`;
}

/** Segment bases of the log at `dir`, ascending. */
export function listSegments(dir: string): number[] {
  return readdirSync(dir).filter((n) => /^\d{20}\.seg$/.test(n)).map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
}

/** Creates the directories and files of a log if missing, with the given consumers at 0. */
export function createLog(dir: string, consumers: readonly string[], mode: number): void {
  const dirMode = 0o700 | (mode & 0o070 ? 0o050 : 0) | (mode & 0o007 ? 0o005 : 0);
  mkdirSync(join(dir, 'consumers'), { recursive: true, mode: dirMode });
  for (const c of consumers) new PositionFile(join(dir, 'consumers', c), mode, 0).close();
}

/** A batch the disk had no room for (`LimitError`); its first `appended` records did go in. */
export class DiskFullError extends LimitError {
  appended = 0;
  constructor(detail: string) {
    super('spool disk space', detail);
  }
}

export class LogWriter {
  readonly dir: string;
  readonly head: PositionFile;
  readonly #o: LogOptions;
  #fd = -1;
  #base = 0;
  /** Log position after the last record written. */
  #end = 0;
  /** Segments on disk (so passed ones are looked for only when there are some). */
  #segments = 1;
  #lastCheck = 0;

  constructor(dir: string, options: LogOptions) {
    this.dir = dir;
    this.#o = options;
    this.head = new PositionFile(join(dir, 'head'), options.mode, 0);
    this.#recover();
  }

  /** Log position after the last record written (and, once `append` returns, committed). */
  get end(): number {
    return this.#end;
  }

  /** Finds the last segment and cuts what follows its last valid record. */
  #recover(): void {
    const bases = listSegments(this.dir);
    if (bases.length === 0) bases.push(this.head.read() ?? 0);
    this.#segments = bases.length;
    const base = bases[bases.length - 1]!;
    this.#base = base;
    this.#fd = openSync(join(this.dir, segmentName(base)), O_RDWR | O_CREAT | O_NOFOLLOW, this.#o.mode);
    const size = fstatSync(this.#fd).size;
    const head = this.head.read() ?? base;
    let at = Math.min(Math.max(head - base, 0), size);
    at -= at % 8;
    const buf = Buffer.allocUnsafe(Math.max(0, size - at));
    if (buf.length) readSync(this.#fd, buf, 0, buf.length, at);
    let off = 0;
    for (;;) {
      const p = parseRecord(buf, off, buf.length, this.#o.maxFrameSize);
      if (p.kind !== 'record') break;
      off += p.size;
    }
    const valid = at + off;
    if (valid < size) ftruncateSync(this.#fd, valid); // the torn tail
    this.#end = base + valid;
    this.head.write(this.#end);
  }

  /**
   * Writes `records` as one batch and advances `head`. With `sync`, the data is fsynced before
   * `head` moves, and the promise resolves after that.
   */
  async append(records: readonly Append[]): Promise<void> {
    if (records.length === 0) return;
    let bufs: Uint8Array[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (bufs.length === 0) return;
      let at = this.#end - this.#base;
      for (let i = 0; i < bufs.length; i += IOV_MAX) {
        const group = bufs.slice(i, i + IOV_MAX);
        const want = group.reduce((a, b) => a + b.length, 0);
        let n: number;
        try {
          n = writevSync(this.#fd, group, at);
        } catch (err) {
          throw this.#cutFailedWrite(err);
        }
        // A short write is a disk that filled during this write (the next one would say ENOSPC).
        if (n !== want) throw this.#cutFailedWrite(Object.assign(new Error(`short write: wrote=${n} expected=${want}`), { code: 'ENOSPC' }));
        at += n;
      }
      this.#end += bytes;
      bufs = [];
      bytes = 0;
    };
    // Records committed so far (head moved past them at a segment roll): a full disk keeps those.
    let appended = 0;
    try {
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        const size = recordSize(r.size);
        const segBytes = this.#end - this.#base + bytes;
        if (segBytes > 0 && segBytes + size > this.#o.segmentSize) {
          flush();
          await this.#syncData();
          this.head.write(this.#end);
          this.#roll();
          appended = i;
        }
        bufs.push(encodeHeader(r.chunks, r.size, r.control), ...r.chunks);
        const pad = padding(r.size);
        if (pad.length) bufs.push(pad);
        bytes += size;
      }
      flush();
    } catch (err) {
      if (err instanceof DiskFullError) err.appended = appended;
      throw err;
    }
    await this.#syncData();
    this.head.write(this.#end);
    // Consumers move on after we roll: look for passed segments now and then, not per batch.
    if (this.#segments > 1 && Date.now() - this.#lastCheck > 100) this.deletePassedSegments();
  }

  /**
   * A batch's write failed part-way: cuts the segment back to the last record written before it,
   * so no torn bytes lie between committed records and the next batch, which may be written once
   * there is room again. Returns the error to throw: a full disk (or quota, or file-size limit)
   * is a `LimitError`, the batch not accepted; anything else as it is.
   */
  #cutFailedWrite(err: unknown): unknown {
    try {
      ftruncateSync(this.#fd, this.#end - this.#base);
    } catch {
      // The next open cuts a torn tail too (#recover); this batch fails either way.
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT' && code !== 'EFBIG') return err;
    return Object.assign(new DiskFullError(`${code}: no room to append to ${this.dir}: the batch was not written (${(err as Error).message})`), { cause: err });
  }

  #syncData(): Promise<void> {
    if (!this.#o.sync) return Promise.resolve();
    const fd = this.#fd;
    return new Promise((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  }

  /** Starts a new segment at the current end, then deletes segments every consumer passed. */
  #roll(): void {
    closeSync(this.#fd);
    this.#base = this.#end;
    this.#fd = openSync(join(this.dir, segmentName(this.#base)), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, this.#o.mode);
    this.deletePassedSegments();
  }

  /** Deletes every segment that each consumer has read past (never the active one). */
  deletePassedSegments(): number {
    this.#lastCheck = Date.now();
    const deleted = deletePassedSegments(this.dir, this.#o.mode, this.#end);
    this.#segments = Math.max(1, listSegments(this.dir).length);
    return deleted;
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
    this.head.close();
  }
}

/**
 * Deletes the segments of the log at `dir` that every consumer's committed offset has passed,
 * never the last one. Called by the appender and by consumers when they move on; two callers
 * at once are harmless (ENOENT is ignored).
 */
export function deletePassedSegments(dir: string, mode: number, end = Infinity): number {
  let min = end;
  for (const c of readdirSync(join(dir, 'consumers'))) {
    const f = new PositionFile(join(dir, 'consumers', c), mode);
    try {
      min = Math.min(min, f.read() ?? 0);
    } finally {
      f.close();
    }
  }
  const bases = listSegments(dir);
  let deleted = 0;
  for (let i = 0; i + 1 < bases.length && bases[i + 1]! <= min; i++) {
    try {
      unlinkSync(join(dir, segmentName(bases[i]!)));
      deleted += 1;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') throw err;
    }
  }
  return deleted;
}
