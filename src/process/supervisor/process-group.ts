/**
 * A child's process group: every supervised child is started with `detached: true`, so it leads
 * its own session and group (pgid = its pid) and every signal goes to the whole group, reaching
 * the processes the child started too.
 *
 * After the leader exits, the group may live on in its descendants; the supervisor is a child
 * subreaper, so they are re-parented to it. {@link clearGroup} kills what is left and reaps the
 * zombies that libuv will never reap (they are not its children).
 * @module
 */
import { groupMembers, runs } from '../proc-stat.js';

/** Sends `signal` to every process of group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** A reaper for adopted zombies; undefined when the native layer is unavailable. */
export type Reaper = ((pid: number) => boolean) | undefined;

/**
 * Once the leader of `pgid` has exited: SIGKILLs whatever is left of its group and waits until
 * nothing of it runs (bounded by `waitMs`), reaping the zombies re-parented to this process.
 * Only signals the group while live members are seen, so a pgid number is never signalled
 * after it could have been reused. Returns the number of live members it found.
 */
export async function clearGroup(pgid: number, reap: Reaper, waitMs = 5000): Promise<number> {
  const deadline = Date.now() + waitMs;
  let found = 0;
  for (let round = 0; ; round += 1) {
    const members = await groupMembers(pgid);
    const live = members.filter(runs);
    if (round === 0) found = live.length;
    for (const m of members) if (m.state === 'Z' && m.ppid === process.pid && reap) reap(m.pid);
    if (live.length === 0 || Date.now() > deadline) return found;
    signalGroup(pgid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
