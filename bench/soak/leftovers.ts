/** What a soak run may leave behind: System V objects touched by its processes, /dev/shm entries, live processes. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** System V queue and segment ids whose last sender/receiver/creator pid is one of `pids`. */
export function sysvTouchedBy(pids: ReadonlySet<number>): string[] {
  const out: string[] = [];
  const scan = (file: string, cols: string[], kind: string): void => {
    if (!existsSync(file)) return;
    const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n');
    const names = head!.trim().split(/\s+/);
    for (const row of rows) {
      const v = row.trim().split(/\s+/);
      const get = (c: string): number => Number(v[names.indexOf(c)]);
      if (cols.some((c) => pids.has(get(c)))) out.push(`${kind} id=${get(kind === 'msg' ? 'msqid' : 'shmid')} key=${v[0]}`);
    }
  };
  scan('/proc/sysvipc/msg', ['lspid', 'lrpid'], 'msg');
  scan('/proc/sysvipc/shm', ['cpid', 'lpid'], 'shm');
  return out;
}

export function devShmWith(text: string): string[] {
  return existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((n) => n.includes(text)) : [];
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
