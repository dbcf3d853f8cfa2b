/** The README's runtime table says what the runtime suites run and refuse. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { refused, works } from './support.js';

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

test('every row of the README runtime table matches the runtime suites', () => {
  const section = readme.slice(readme.indexOf('## Runtimes'), readme.indexOf('## Transports'));
  const rows = [...section.matchAll(/^\| `([a-z]+):[^|]*\| (\S+) \| ([^|]+) \| ([^|]+) \|$/gm)];
  assert.is(rows.length, 8, section);
  for (const [, scheme, node, deno, bun] of rows) {
    assert.is(node, 'yes', `${scheme} on node`);
    for (const [runtime, cell] of [['deno', deno!.trim()], ['bun', bun!.trim()]] as const) {
      const expected = works[runtime].includes(scheme!) ? 'yes' : `no: ${refused[runtime][scheme!]}`;
      assert.is(cell, expected, `${scheme} on ${runtime}`);
    }
  }
});

test.run();
