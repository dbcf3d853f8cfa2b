// Disk-full helper for disk-full.test.ts: `node disk-full-peer.js <up|down> <dir>`, run in a
// private mount namespace (it mounts a 2 MiB tmpfs, which vanishes with the process). Prints one
// JSON line: the first refused publish's code and message, what was accepted, what was lost.
// - `up`: the whole spool on the tmpfs with 1 MiB of ballast: a durable client publishes until
//   the disk is full and on for 100 refusals, then the ballast goes and it publishes 50 more.
// - `down`: only the subscriber's `down` log on the tmpfs, with 1.5 MiB of ballast that stays:
//   3000 publishes (3 MB) go through 512 KiB as the subscriber reads (128 KiB segments).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../../src/index.js';

const [mode, dir] = process.argv.slice(2) as ['up' | 'down', string];
const spool = join(dir, 's');
const small = mode === 'up' ? dir : join(spool, 'channels', 'sub', 'down');
mkdirSync(small, { recursive: true });
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', small]);
writeFileSync(join(small, 'ballast'), new Uint8Array(mode === 'up' ? 1 << 20 : 1536 << 10));
const url = `file://${spool}?segmentSize=128KiB`;
const hub = await Bus.listen(url);
const sub = await Bus.connect(`${url}&consumer=sub`);
const received = new Set<number>();
sub.subscribe('fill').subscribe((m) => { received.add((m.data as { i: number }).i); });
await sub.flush();
const pub = await Bus.connect(`${url}&consumer=pub`);
const accepted = new Set<number>();
let firstError: { code?: string; message: string } | undefined;
let refused = 0;
const fill = 'x'.repeat(900);
const publish = async (i: number): Promise<boolean> => {
  try {
    await pub.publish('fill', { i, fill });
    accepted.add(i);
    return true;
  } catch (err) {
    firstError ??= err as Error;
    refused++;
    return false;
  }
};
let after = 0;
if (mode === 'up') {
  for (let i = 0; refused < 100 && i < 100_000; i++) await publish(i);
  rmSync(join(small, 'ballast'));
  for (let j = 0; j < 50; j++) if (await publish(1_000_000 + j)) after++;
} else {
  for (let i = 0; i < 3000; i++) await publish(i);
}
await pub.flush();
for (let waited = 0; [...accepted].some((i) => !received.has(i)) && waited < 30_000; waited += 50) {
  await new Promise((r) => setTimeout(r, 50));
}
const lost = [...accepted].filter((i) => !received.has(i)).length;
console.log(JSON.stringify({ code: firstError?.code ?? null, message: firstError?.message ?? null, accepted: accepted.size, refused, after, lost }));
await pub.close();
await sub.close();
await hub.close();
