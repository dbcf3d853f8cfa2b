// Disk-full helper for disk-full.test.ts: `node disk-full-peer.js <up|down> <dir>`, run in a
// private mount namespace (it mounts a 2 MiB tmpfs, which vanishes with the process). Prints one
// JSON line: the first refused publish's code and message, what was accepted, what was lost.
// - `up`: the whole spool on the tmpfs with 1 MiB of ballast: a durable client publishes until
//   the disk is full and on for 100 refusals, then the ballast goes and it publishes 50 more.
// - `down`: only the subscriber's `down` log on the tmpfs, with 1.5 MiB of ballast that stays:
//   3000 publishes (3 MB) go through 512 KiB as the subscriber reads (128 KiB segments).
// - `hubkill`: the same log with 1.9 MiB of ballast, the hub in a child process (`hub` mode):
//   1000 publishes, the hub is SIGKILLed while it waits for room, the ballast goes, a new hub
//   must deliver all of them.
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../../src/index.js';

const [mode, dir] = process.argv.slice(2) as ['up' | 'down' | 'hubkill' | 'hub', string];
const spool = join(dir, 's');
if (mode === 'hub') {
  await Bus.listen(`file://${spool}?segmentSize=128KiB`);
  process.send!('ready');
  await new Promise(() => undefined); // until killed
}
const small = mode === 'up' ? dir : join(spool, 'channels', 'sub', 'down');
mkdirSync(small, { recursive: true });
execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', small]);
writeFileSync(join(small, 'ballast'), new Uint8Array(mode === 'up' ? 1 << 20 : mode === 'down' ? 1536 << 10 : 1900 << 10));
const url = `file://${spool}?segmentSize=128KiB`;
/** A hub in a child process (`hubkill`), ready. */
async function hubProcess(): Promise<ChildProcess> {
  const child = fork(process.argv[1]!, ['hub', dir]);
  await new Promise((r) => child.once('message', r));
  return child;
}
let hubChild = mode === 'hubkill' ? await hubProcess() : undefined;
const hub = mode === 'hubkill' ? undefined : await Bus.listen(url);
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
} else if (mode === 'down') {
  for (let i = 0; i < 3000; i++) await publish(i);
} else {
  for (let i = 0; i < 1000; i++) await publish(i);
  // The hub has taken some and waits for room for the rest (or is about to): kill it there.
  for (let waited = 0; received.size === 0 && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
  hubChild!.kill('SIGKILL');
  await new Promise((r) => hubChild!.once('exit', r));
  rmSync(join(small, 'ballast'));
  hubChild = await hubProcess();
}
await pub.flush();
for (let waited = 0; [...accepted].some((i) => !received.has(i)) && waited < 30_000; waited += 50) {
  await new Promise((r) => setTimeout(r, 50));
}
const lost = [...accepted].filter((i) => !received.has(i)).length;
console.log(JSON.stringify({ code: firstError?.code ?? null, message: firstError?.message ?? null, accepted: accepted.size, refused, after, lost }));
await pub.close();
await sub.close();
await hub?.close();
hubChild?.kill();
