/**
 * Runs inside a mount namespace whose /dev/shm is a 3 MiB tmpfs (shm-full.test.ts): a hub, a
 * client whose rings cannot fit, one whose rings do, and a loan whose pool cannot fit. Prints
 * one line per step; the old code died here with SIGBUS at the first write to an unbacked page.
 */
import { readdirSync } from 'node:fs';
import { Bus } from '../../../src/bus/bus.js';
import { until } from '../../helpers/watchdog.js';

const name = process.argv[2]!;
const hub = await Bus.listen(`shm://${name}`);
const describe = (err: unknown): string => `${(err as { code?: string }).code} ${(err as { limit?: string }).limit}`;
let toHub = 0;
hub.subscribe('up').subscribe(() => { toHub++; });

try {
  // Default 4 MiB rings: 8 MiB, more than the whole /dev/shm.
  const big = await Bus.connect(`shm://${name}`);
  let down = 0;
  big.subscribe('down').subscribe(() => { down++; });
  await big.flush();
  for (let i = 0; i < 2000; i++) {
    big.publish('up', new Uint8Array(8192));
    hub.publish('down', new Uint8Array(8192));
  }
  await until('big traffic', () => down === 2000 && toHub >= 2000, 30_000);
  console.log('big connected');
  await big.close();
} catch (err) {
  console.log(`big ${describe(err)}`);
}

toHub = 0;
const small = await Bus.connect(`shm://${name}?size=64KiB&pool=16MiB`);
for (let i = 0; i < 100; i++) small.publish('up', new Uint8Array(1000));
await until('small traffic', () => toHub === 100, 30_000);
console.log(`small ${toHub}`);
try {
  const sample = await small.loan('up', 1024);
  await sample.publish();
  console.log('loan ok');
} catch (err) {
  console.log(`loan ${describe(err)}`);
}
small.publish('up', new Uint8Array(10));
await until('after the loan', () => toHub === 101, 30_000);
console.log('still serving');
await small.close();
await hub.close();
console.log(`left [${readdirSync('/dev/shm').join(',')}]`);
