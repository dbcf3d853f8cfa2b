/** `unibus doctor [url]`: what makes transports fail on this machine, and how to fix it. */
import { parse } from './args.js';
import type { Finding } from './doctor/finding.js';
import { shmLeftovers, sysvmqLeftovers, wakeQueueLeftovers } from './doctor/leftovers.js';
import { devShm, openFiles, sysvLimits } from './doctor/limits.js';
import { urlChecks } from './doctor/url-checks.js';

export const help = `
Usage: unibus doctor [url] [--only TEXT]

Checks what makes unibus transports fail on this machine and says how to fix each problem:
System V limits (kernel.msgmax, msgmnb, msgmni, shmmax), /dev/shm size and free space, the
open-files limit, leftovers of dead hubs (sysvmq queues, /dev/shm entries; with a URL also its
socket or fifo directory) and whether a hub can create the URL's path. Removes nothing.
--only TEXT looks only at leftovers whose names or paths contain TEXT.
Exits 0 when nothing is wrong (warnings allowed), 1 otherwise.`;

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' } as const;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { only: { type: 'string' } }, help);
  const [url] = positionals;
  const only = values.only;
  const sections: Array<[string, () => Finding[]]> = [
    ['limits', () => [...sysvLimits(), ...devShm(), ...openFiles()]],
    ['leftovers of dead hubs', () => [...sysvmqLeftovers(only), ...wakeQueueLeftovers(only), ...shmLeftovers(only)]],
    ...(url ? [[url, () => urlChecks(url)] as [string, () => Finding[]]] : []),
  ];
  let failed = 0;
  let warned = 0;
  for (const [title, check] of sections) {
    process.stdout.write(`${title}:\n`);
    for (const f of check()) {
      if (f.level === 'fail') failed++;
      if (f.level === 'warn') warned++;
      process.stdout.write(`  ${MARK[f.level]} ${f.what}\n${f.fix ? `       fix: ${f.fix}\n` : ''}`);
    }
  }
  process.stdout.write(failed ? `${failed} problem(s), ${warned} warning(s)\n` : `no problems${warned ? `, ${warned} warning(s)` : ''}\n`);
  return failed ? 1 : 0;
}
