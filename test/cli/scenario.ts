/**
 * The three-process wildcard scenario every transport must pass via the CLI: two `sub` with
 * `a.*` and `a.>`, one `pub` of 100 messages to `a.b` and 100 to `a.b.c`; each subscriber gets
 * exactly what it matches, in order.
 */
import * as assert from 'uvu/assert';
import { ChildSet } from '../helpers/processes.js';
import { cli, stderrHas } from './cli-helpers.js';

export async function wildcardScenario(url: string, children: ChildSet): Promise<void> {
  const hub = children.add(cli(['hub', url]));
  await hub.waitLine(/^listening /);
  const star = children.add(cli(['sub', url, 'a.*', '--count', '100', '--timeout', '60']));
  const rest = children.add(cli(['sub', url, 'a.>', '--count', '200', '--timeout', '60']));
  await stderrHas(star, 'subscribed');
  await stderrHas(rest, 'subscribed');
  const pub1 = children.add(cli(['pub', url, 'a.b', '1']));
  assert.is((await pub1.waitExit(60_000)).code, 0, `pub failed: ${pub1.stderr}`);
  // Numbered messages: 100 to a.b then 100 to a.b.c, from one publisher so order is defined.
  const lines = [
    ...Array.from({ length: 99 }, (_, i) => ['a.b', i + 1] as const),
    ...Array.from({ length: 100 }, (_, i) => ['a.b.c', i] as const),
  ];
  const pubB = children.add(cli(['pub', url, 'a.b']));
  pubB.proc.stdin!.end(lines.filter(([t]) => t === 'a.b').map(([, n]) => JSON.stringify({ n })).join('\n') + '\n');
  assert.is((await pubB.waitExit(60_000)).code, 0, `pub a.b failed: ${pubB.stderr}`);
  const pubC = children.add(cli(['pub', url, 'a.b.c']));
  pubC.proc.stdin!.end(lines.filter(([t]) => t === 'a.b.c').map(([, n]) => JSON.stringify({ n })).join('\n') + '\n');
  assert.is((await pubC.waitExit(60_000)).code, 0, `pub a.b.c failed: ${pubC.stderr}`);
  assert.is((await star.waitExit(60_000)).code, 0, `sub a.* failed: ${star.stderr}`);
  assert.is((await rest.waitExit(60_000)).code, 0, `sub a.> failed: ${rest.stderr}`);
  const parse = (l: string) => JSON.parse(l) as { topic: string; data: unknown };
  const starMsgs = star.lines.map(parse);
  const restMsgs = rest.lines.map(parse);
  // a.* matches a.b only: the first (data 1) then 1..99 in order.
  assert.equal(starMsgs.map((m) => m.topic), Array(100).fill('a.b'));
  assert.equal(starMsgs.map((m) => m.data), [1, ...Array.from({ length: 99 }, (_, i) => ({ n: i + 1 }))]);
  // a.> matches both: the 100 a.b then the 100 a.b.c, each in order.
  assert.equal(restMsgs.slice(0, 100), starMsgs);
  assert.equal(restMsgs.slice(100).map((m) => m.topic), Array(100).fill('a.b.c'));
  assert.equal(restMsgs.slice(100).map((m) => m.data), Array.from({ length: 100 }, (_, i) => ({ n: i })));
  hub.kill('SIGINT');
  assert.is((await hub.waitExit(30_000)).code, 0, `hub did not exit 0 on SIGINT: ${hub.stderr}`);
}
