/**
 * What a fault while the spool hub works on one channel means. A channel's directory can go at
 * any moment: an unnamed client deletes its own right after the hub's bye (while the hub may be
 * between probing its lock and reading its session file), and a user may delete files by hand.
 * ENOENT therefore means "this channel was removed": the hub drops it quietly (and takes it up
 * afresh if its directory is still listed). Any other error ends that one channel with a reason
 * naming it; the hub goes on serving every other channel either way (hub-channel.ts).
 * @module
 */
import { isSystemError } from '../../errors.js';

/** True when `err` says a file of the channel is gone: the channel was removed under the hub. */
export function channelRemoved(err: unknown): boolean {
  return isSystemError(err, 'ENOENT');
}

/** The error a failed channel's connection ends with, naming the channel and the cause. */
export function channelFailure(name: string, root: string, err: unknown): Error {
  const cause = err instanceof Error ? err.message : String(err);
  return new Error(`unibus spool: channel ${name} failed and is no longer served by this hub: ${cause} (path=${root})`, { cause: err });
}
