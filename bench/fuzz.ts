/**
 * `npm run fuzz`: every fuzz target (test/fuzz/targets) for >= 100k cases each, one worker at a
 * time with a hang watchdog; prints cases, handled, typed rejections, crashes and hangs per
 * target, and the input + stack of any crash. Exits 1 if anything crashed or hung.
 *   node dist/bench/fuzz.js [--cases N] [--seed S] [--targets a,b] [--stall-ms MS]
 * CPU-bound: run it niced (`nice -n 10 npm run fuzz`).
 */
import { parseArgs } from 'node:util';
import { formatReport, runTarget } from '../test/fuzz/supervisor.js';
import { targetNames } from '../test/fuzz/targets/index.js';

const { values } = parseArgs({
  options: { cases: { type: 'string' }, seed: { type: 'string' }, targets: { type: 'string' }, 'stall-ms': { type: 'string' } },
});
const cases = Number(values.cases ?? 100_000);
const seed = Number(values.seed ?? Date.now() % 2 ** 31);
const names = values.targets ? values.targets.split(',') : targetNames;
const stallMs = Number(values['stall-ms'] ?? 30_000);

console.log(`unibus fuzz: ${new Date().toISOString()} cases=${cases} per target, seed=${seed}, ${names.length} targets`);
let bad = 0;
let total = 0;
for (const name of names) {
  const r = await runTarget(name, { cases, seed, stallMs });
  total += r.cases;
  console.log(formatReport(r));
  if (r.failure) console.log(`  FAILURE ${r.failure.split('\n').join('\n    ')}`);
  bad += r.crashes + r.hangs;
}
console.log(`total: ${total} cases, ${bad} target(s) with a crash or hang`);
process.exitCode = bad > 0 ? 1 : 0;
