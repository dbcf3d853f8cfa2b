/**
 * What /proc tells about a process: its scheduler state (to see a SIGSTOPped child, which
 * `child_process` never reports: libuv waits without WUNTRACED), its parent and its process group
 * (to find every process left in a child's group).
 * @module
 */
import { readFileSync } from 'node:fs';
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
  /** When it started: clock ticks since boot (USER_HZ, 100 a second on Linux). */
  readonly startTicks: number;
}

/** Parses the text of /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseProcStat(pid: number, text: string): ProcStat {
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Field 22 (starttime) is the 20th after the command name.
  return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), startTicks: Number(rest[19]) };
}

/** Reads /proc/<pid>/stat; undefined when the process no longer exists. */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(pid, await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** {@link procStat} without waiting: for the few checks made once per connection or process start. */
export function procStatSync(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True while `pid` runs: it exists and is not a zombie (an exited process nobody reaped yet). */
export function runs(stat: ProcStat | undefined): stat is ProcStat {
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
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
