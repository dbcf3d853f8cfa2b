// Disk-full helper for disk-full.test.ts: `node disk-full-peer.js <dir>`, run where <dir> is a
// small filesystem of its own (the test mounts a 2 MiB tmpfs in a private mount namespace). A
// hub and a durable client on `file://<dir>/s`; 1 MiB of ballast; the client publishes until the
// disk is full and on for a while, then the ballast goes and it publishes 50 more. Prints one
// JSON line: the first error's code, what was accepted, what the hub received.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bus } from '../../../src/index.js';

const dir = process.argv[2]!;
const url = `file://${join(dir, 's')}`;
writeFileSync(join(dir, 'ballast'), new Uint8Array(1 << 20));
const hub = await Bus.listen(url);
const received = new Set<number>();
hub.subscribe('fill').subscribe((m) => { received.add((m.data as { i: number }).i); });
await hub.flush();
const bus = await Bus.connect(url + '?consumer=filler');
const accepted = new Set<number>();
let firstError: { code?: string; message: string } | undefined;
let refused = 0;
const fill = 'x'.repeat(900);
for (let i = 0; refused < 100 && i < 100_000; i++) {
  try {
    await bus.publish('fill', { i, fill });
    accepted.add(i);
  } catch (err) {
    firstError ??= err as Error;
    refused++;
  }
}
rmSync(join(dir, 'ballast'));
let after = 0;
for (let j = 0; j < 50; j++) {
  try {
    await bus.publish('fill', { i: 1_000_000 + j, fill });
    accepted.add(1_000_000 + j);
    after++;
  } catch {
    // counted by `after`
  }
}
await bus.flush();
await hub.flush();
for (let waited = 0; [...accepted].some((i) => !received.has(i)) && waited < 20_000; waited += 50) {
  await new Promise((r) => setTimeout(r, 50));
}
const lost = [...accepted].filter((i) => !received.has(i)).length;
console.log(JSON.stringify({ code: firstError?.code ?? null, message: firstError?.message ?? null, accepted: accepted.size, refused, after, lost }));
await bus.close();
await hub.close();
