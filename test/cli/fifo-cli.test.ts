import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildSet } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { wildcardScenario } from './scenario.js';

const children = new ChildSet();
const bases: string[] = [];
test.after.each(async () => {
  await children.killAll();
  for (const b of bases.splice(0)) rmSync(b, { recursive: true, force: true });
});

test('three processes on fifo:///dir: each wildcard subscriber gets exactly its matches, in order; SIGINT removes the dir', async () => {
  const base = mkdtempSync(join('/tmp', `${uniqueName('fifo-cli')}-`));
  bases.push(base);
  const dir = join(base, 'bus');
  await wildcardScenario(`fifo://${dir}`, children);
  assert.not.ok(existsSync(dir), 'the hub removed its directory on SIGINT');
  assert.not.ok(existsSync(`${dir}.lock`), 'and its lock file');
});

test.run();
