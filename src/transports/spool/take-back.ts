/**
 * Taking back what no hub took, for `handBack` clients (a Bus: a new hub has none of an earlier
 * hub's protocol state, so it declines a session the earlier hub served, and the client sends
 * that session's untaken frames again on its next session).
 *
 * Two ways the frames come back:
 * - The client is alive when the hub declines: it ends the session and hands them back in
 *   `closed.unsent` (spool-client.ts); its session file then says `taken`.
 * - The client died (in the hub gap, or before it read the decline): the declined session's
 *   frames stay in `up`, unread (the hub waits for the client's next session rather than
 *   dropping them), and the next session of that name takes them back when it opens
 *   (`SpoolClientConnection.takenBack`), if it finds the decline in `down`.
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { LogReader } from './log-reader.js';
import { decodeControl, DOWN_CONSUMER, UP_CONSUMER } from './channel-layout.js';
import type { SpoolOptions } from './spool-options.js';

/** A client's latest session as its session file says: "id startPosition [handback [taken]]". */
export interface SessionRecord {
  readonly id: string;
  /** Log position of its start marker in `up`. */
  readonly pos: number;
  readonly handBack: boolean;
  /** Its untaken frames were handed back already (`closed.unsent`). */
  readonly taken: boolean;
}

export function readSession(path: string): SessionRecord | undefined {
  try {
    const [id, pos, flag, taken] = readFileSync(path, 'utf8').trim().split(' ');
    if (!id) return undefined;
    return { id, pos: Number(pos ?? 0) || 0, handBack: flag === 'handback', taken: taken === 'taken' };
  } catch {
    return undefined;
  }
}

/** Replaces the session file at once (write, then rename): a hub never reads it half written. */
export function writeSession(path: string, s: SessionRecord, mode: number): void {
  const flags = s.handBack ? (s.taken ? ' handback taken' : ' handback') : '';
  writeFileSync(`${path}.tmp`, `${s.id} ${s.pos}${flags}`, { mode });
  renameSync(`${path}.tmp`, path);
}

type ReadOptions = Pick<SpoolOptions, 'mode' | 'maxFrameSize' | 'onCorrupt'>;

/** Data frames of the `up` log past the hub's committed offset (read, never committed). */
export function notTaken(upDir: string, o: ReadOptions): Uint8Array[] {
  const reader = new LogReader(upDir, UP_CONSUMER, { mode: o.mode, maxFrameSize: o.maxFrameSize, onCorrupt: o.onCorrupt });
  const out: Uint8Array[] = [];
  try {
    for (let batch = reader.read(); batch.length > 0; batch = reader.read()) {
      for (const r of batch) if (!r.control) out.push(r.payload);
    }
  } finally {
    reader.close();
  }
  return out;
}

/** True when the unread part of the `down` log holds a hub's decline of session `id`. */
export function declinedIn(downDir: string, id: string, o: ReadOptions): boolean {
  const reader = new LogReader(downDir, DOWN_CONSUMER, { mode: o.mode, maxFrameSize: o.maxFrameSize, onCorrupt: () => undefined });
  try {
    for (let batch = reader.read(); batch.length > 0; batch = reader.read()) {
      for (const r of batch) {
        if (!r.control) continue;
        const c = decodeControl(r.payload);
        if (c?.t === 'hub' && c.s === id && c.h) return true;
      }
    }
    return false;
  } finally {
    reader.close();
  }
}

/**
 * At the open of a new session: the frames a dead predecessor's declined session left untaken,
 * or none (not a handBack client, handed back already, or not declined: a live hub serves it).
 */
export function takeBackFromPredecessor(sessionPath: string, upDir: string, downDir: string, o: SpoolOptions): Uint8Array[] {
  if (!o.handBack) return [];
  const previous = readSession(sessionPath);
  if (!previous?.handBack || previous.taken || !declinedIn(downDir, previous.id, o)) return [];
  return notTaken(upDir, o);
}
