/** Each runtime runs the suites of every scheme support.ts says works there, and no other. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transportSuiteSchemes, works } from './support.js';
import { runtimes, type RuntimeName } from './run-under.js';

const files = readdirSync(fileURLToPath(new URL('.', import.meta.url))).filter((f) => f.endsWith('.test.js'));

test('a Bus suite file per working scheme and a Transport suite file per scheme that differs per runtime', () => {
  for (const runtime of Object.keys(runtimes) as RuntimeName[]) {
    for (const [kind, schemes] of [['bus', works[runtime]], ['transport', transportSuiteSchemes(runtime)]] as const) {
      const found = files.filter((f) => f.startsWith(`${runtime}-${kind}-`)).map((f) => f.slice(`${runtime}-${kind}-`.length, -'.test.js'.length));
      assert.equal(found.sort(), [...schemes].sort(), `${runtime} ${kind} suites`);
    }
  }
});

test.run();
