/**
 * A session's resume state: the frames a new hub replays to continue a Bus session that an
 * earlier hub served (the HELLO and the current subscriptions), so that a hub restart neither
 * ends the session nor loses what was routed to it. The client (spool-client.ts) writes it
 * before the frames it covers are appended, so it always holds at least what any hub took; it
 * may be ahead of the log (a SUB not yet read is replayed, then read again: the hub replaces a
 * subscription with the same sid, so that is harmless).
 *
 * `after` is the `up` log position just past the session's HELLO: a hub replays the state only
 * when the earlier hub committed past it (it took the HELLO); otherwise everything the state
 * says is still ahead in the log and the hub just continues the session from there.
 *
 * File `channels/NAME/resume`, replaced whole (write, then rename):
 * `{"s": session id, "a": after, "f": [frame as base64, …]}`.
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface ResumeState {
  readonly session: string;
  /** `up` log position just past the session's HELLO. */
  readonly after: number;
  readonly frames: readonly Uint8Array[];
}

export function writeResumeState(path: string, s: ResumeState, mode: number): void {
  const text = JSON.stringify({ s: s.session, a: s.after, f: s.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.length).toString('base64')) });
  writeFileSync(`${path}.tmp`, text, { mode });
  renameSync(`${path}.tmp`, path);
}

/** The resume state of session `session`, or undefined (none, another session's, or unreadable). */
export function readResumeState(path: string, session: string): ResumeState | undefined {
  try {
    const j = JSON.parse(readFileSync(path, 'utf8')) as { s?: unknown; a?: unknown; f?: unknown };
    if (j.s !== session || typeof j.a !== 'number' || !Array.isArray(j.f)) return undefined;
    const frames = j.f.map((b) => {
      if (typeof b !== 'string') throw new TypeError('frame');
      const buf = Buffer.from(b, 'base64');
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    });
    return { session, after: j.a, frames };
  } catch {
    return undefined;
  }
}
