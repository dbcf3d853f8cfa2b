/**
 * What a `file:///dir` spool looks like on disk, and its control records.
 * ```
 * dir/                         0700, created by the first hub or client
 *   hub.lock                   the hub's liveness lock (OFD): one live hub per spool
 *   channels/NAME/             one per client name (?consumer=NAME), kept across restarts
 *     client.lock              the live client of NAME holds an OFD lock on it
 *     session                  the client's latest session: "id startPosition [handback [taken]]" (text)
 *     ephemeral                present for unnamed clients: the hub deletes the channel after them
 *     resume                   the session's resume state: what a new hub replays to continue it (resume-state.ts)
 *     up/                      log client → hub (appended by the client; consumer "hub")
 *     down/                    log hub → client (appended by the hub; consumer "client")
 * ```
 * Each log: `NNNNNNNNNNNNNNNNNNNN.seg` segments, `head`, `consumers/<name>` (see log-writer.ts).
 * @module
 */
import { join } from 'node:path';

export const UP_CONSUMER = 'hub';
export const DOWN_CONSUMER = 'client';

export function channelsDir(dir: string): string {
  return join(dir, 'channels');
}

export function channelPaths(dir: string, name: string) {
  const root = join(channelsDir(dir), name);
  return {
    root,
    clientLock: join(root, 'client.lock'),
    session: join(root, 'session'),
    ephemeral: join(root, 'ephemeral'),
    resume: join(root, 'resume'),
    up: join(root, 'up'),
    down: join(root, 'down'),
  };
}

/** Control records: transport-internal, never delivered as frames. */
export type Control =
  /** First record of a client session in `up`. */
  | { t: 'session'; s: string; pid: number }
  /** The client closed session `s` after sending everything (`up`). */
  | { t: 'close'; s: string }
  /**
   * A hub (epoch `e`: one per hub start) serves session `s` (`down`); with `h`, a new hub does
   * not serve session `s` (an earlier hub did): its client takes back what no hub took and ends;
   * with `r`, a new hub continues session `s` from its resume state (the client goes on).
   */
  | { t: 'hub'; e: string; s: string; h?: true; r?: true }
  /** The hub closed session `s` (`down`). */
  | { t: 'bye'; s: string };

export function encodeControl(c: Control): Uint8Array {
  return Buffer.from(JSON.stringify(c));
}

export function decodeControl(payload: Uint8Array): Control | undefined {
  try {
    const c = JSON.parse(Buffer.from(payload).toString('utf8')) as Control;
    return typeof c === 'object' && c !== null && typeof c.t === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}
