/**
 * A named consumer of a spool log: reads records from its committed offset up to the log's
 * `head`, checks every checksum, and commits its offset when the caller says the frames were
 * handled (at-least-once: a crash replays what was read after the last commit).
 *
 * A record below `head` that fails its checks is corruption (the writer only moves `head` past
 * whole records): the reader skips to the next valid record (trying each 8-byte aligned
 * position), counts it and reports the log position and segment. A reader is woken by
 * `fs.watch` on `head`, with a polling timer as fallback.
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { PositionFile } from './position-file.js';
import { HEADER_BYTES, parseRecord, recordSize } from './record.js';
import { deletePassedSegments, listSegments, segmentName } from './log-writer.js';

/** A corrupt stretch the reader skipped. */
export interface Corruption {
  /** Log directory. */
  readonly log: string;
  /** Segment file and the offset inside it where the bad bytes start. */
  readonly segment: string;
  readonly fileOffset: number;
  /** Log position where the bad bytes start, and how many were skipped. */
  readonly position: number;
  readonly skipped: number;
}

/** A record read from the log, with the position just past it. */
export interface ReadRecord {
  readonly payload: Uint8Array;
  readonly control: boolean;
  readonly end: number;
}

const CHUNK = 1 << 20;
const POLL_MS = 250;

export class LogReader {
  readonly dir: string;
  readonly #head: PositionFile;
  readonly #offset: PositionFile;
  readonly #maxFrameSize: number;
  readonly #onCorrupt: (c: Corruption) => void;
  /** Position of the next record to read. */
  #pos: number;
  #committed: number;
  #seg: { base: number; fd: number } | undefined;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  readonly #mode: number;
  /** Base of the oldest segment seen on disk. */
  #oldest: number;
  #closed = false;
  corruptions = 0;

  constructor(dir: string, consumer: string, options: { mode: number; maxFrameSize: number; onCorrupt: (c: Corruption) => void }) {
    this.dir = dir;
    this.#head = new PositionFile(join(dir, 'head'), options.mode, 0);
    this.#offset = new PositionFile(join(dir, 'consumers', consumer), options.mode, listSegments(dir)[0] ?? 0);
    this.#maxFrameSize = options.maxFrameSize;
    this.#onCorrupt = options.onCorrupt;
    this.#pos = this.#committed = this.#offset.read() ?? 0;
    this.#mode = options.mode;
    this.#oldest = listSegments(dir)[0] ?? 0;
  }

  /** Position of the next record to read. */
  get position(): number {
    return this.#pos;
  }

  /** This consumer's committed offset (where a restarted reader starts). */
  get committed(): number {
    return this.#committed;
  }

  /** True when everything committed to the log has been read. */
  get atHead(): boolean {
    if (this.#closed) return true;
    return this.#pos >= (this.#head.read() ?? 0);
  }

  /** The next records (about `maxBytes` of them, at least one when any is committed). */
  read(maxBytes = CHUNK): ReadRecord[] {
    if (this.#closed) return [];
    const head = this.#head.read();
    const out: ReadRecord[] = [];
    if (head === undefined) return out;
    const maxRecord = recordSize(this.#maxFrameSize);
    let budget = maxBytes;
    while (this.#pos < head && budget > 0) {
      const seg = this.#segmentAt(this.#pos);
      if (!seg) break;
      const segEnd = Math.min(seg.base + fstatSync(seg.fd).size, head);
      if (this.#pos >= segEnd) {
        // This segment is finished: records never span segments, the next one starts here.
        const next = listSegments(this.dir).find((b) => b > seg.base);
        if (next === undefined) break;
        if (next !== this.#pos) this.#report(seg.base, this.#pos, next - this.#pos);
        this.#pos = next;
        closeSync(seg.fd);
        this.#seg = undefined;
        continue;
      }
      const len = Math.min(segEnd - this.#pos, Math.max(budget, maxRecord));
      const buf = Buffer.allocUnsafe(len);
      const got = readSync(seg.fd, buf, 0, len, this.#pos - seg.base);
      let off = 0;
      let resumeAt = -1;
      while (off < got && budget > 0) {
        const p = parseRecord(buf, off, got, this.#maxFrameSize);
        if (p.kind === 'record') {
          off += p.size;
          out.push({ payload: p.payload, control: p.control, end: this.#pos + off });
          budget -= p.size;
          continue;
        }
        // Committed but not in this buffer: the next round reads it from its start.
        if (p.kind === 'short' && this.#pos + off + p.need <= segEnd && off > 0) break;
        // Corrupt, or claims to run past what was committed: resynchronise.
        const start = this.#pos + off;
        resumeAt = this.#resync(seg, start, segEnd);
        this.#report(seg.base, start, resumeAt - start);
        break;
      }
      if (resumeAt >= 0) this.#pos = resumeAt;
      else if (off === 0) break;
      else this.#pos += off;
    }
    return out;
  }

  /** The first aligned position after `start` where a valid record begins (or `segEnd`). */
  #resync(seg: { base: number; fd: number }, start: number, segEnd: number): number {
    const len = segEnd - start;
    const buf = Buffer.allocUnsafe(len);
    const got = readSync(seg.fd, buf, 0, len, start - seg.base);
    for (let off = 8; off + HEADER_BYTES <= got; off += 8) {
      if (parseRecord(buf, off, got, this.#maxFrameSize).kind === 'record') return start + off;
    }
    return segEnd;
  }

  #report(base: number, position: number, skipped: number): void {
    this.corruptions += 1;
    this.#onCorrupt({ log: this.dir, segment: segmentName(base), fileOffset: position - base, position, skipped });
  }

  #segmentAt(pos: number): { base: number; fd: number } | undefined {
    if (this.#seg && this.#seg.base <= pos) return this.#seg;
    const bases = listSegments(this.dir);
    let base: number | undefined;
    for (const b of bases) if (b <= pos) base = b;
    if (base === undefined) {
      // Our segment was deleted under us (we were behind a deletion): resume at the oldest.
      if (bases.length === 0) return undefined;
      this.#report(bases[0]!, pos, bases[0]! - pos);
      this.#pos = base = bases[0]!;
    }
    if (this.#seg?.base !== base) {
      if (this.#seg) closeSync(this.#seg.fd);
      this.#seg = { base, fd: openSync(join(this.dir, segmentName(base)), constants.O_RDONLY | constants.O_NOFOLLOW) };
    }
    return this.#seg;
  }

  /** Commits `pos` (the `end` of the last record handled) as this consumer's offset. */
  commit(pos: number): void {
    if (pos <= this.#committed || this.#closed) return;
    this.#committed = pos;
    this.#offset.write(pos);
    // Past the start of a later segment than the oldest: what we left behind may go now.
    if (this.#seg && this.#seg.base > this.#oldest && pos >= this.#seg.base) {
      deletePassedSegments(this.dir, this.#mode);
      this.#oldest = listSegments(this.dir)[0] ?? this.#seg.base;
    }
  }

  /** Skips everything read so far without delivering it (commits the current position). */
  commitAll(): void {
    this.commit(this.#pos);
  }

  /** Calls `onAppend` when the log may have grown (fs.watch on `head`, plus a polling timer). */
  watch(onAppend: () => void): void {
    if (this.#poll) return;
    try {
      this.#watcher = watch(this.#head.path, { persistent: true }, () => onAppend());
      this.#watcher.on('error', () => this.#watcher?.close());
    } catch {
      // no inotify: the timer alone wakes us
    }
    this.#poll = setInterval(onAppend, POLL_MS);
  }

  unwatch(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.unwatch();
    if (this.#seg) closeSync(this.#seg.fd);
    this.#seg = undefined;
    this.#head.close();
    this.#offset.close();
  }
}
