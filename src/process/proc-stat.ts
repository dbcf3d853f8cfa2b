/**
 * What /proc tells about a process: its scheduler state (to see a SIGSTOPped child, which
 * `child_process` never reports: libuv waits without WUNTRACED), its parent and its process group
 * (to find every process left in a child's group).
 * @module
 */
import { readFile, readdir } from 'node:fs/promises';

/** One process as /proc/<pid>/stat describes it. */
export interface ProcStat {
  readonly pid: number;
  /**
   * Scheduler state: R running, S sleeping, D disk wait, Z zombie, T stopped by a signal,
   * t stopped by a tracer, X dead, I idle.
   */
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
}

/** Parses the text of /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(pid: number, text: string): ProcStat {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]) };
}

/** Reads /proc/<pid>/stat; undefined when the process no longer exists. */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True for the states of a process stopped by a signal (SIGSTOP, SIGTSTP, …) or a tracer. */
export function isStoppedState(state: string): boolean {
  return state === 'T' || state === 't';
}

/** Every process whose process group is `pgid`, zombies included. */
export async function groupMembers(pgid: number): Promise<ProcStat[]> {
  const names = await readdir('/proc');
  const stats = await Promise.all(names.filter((n) => /^\d+$/.test(n)).map((n) => procStat(Number(n))));
  return stats.filter((s): s is ProcStat => s !== undefined && s.pgrp === pgid);
}
