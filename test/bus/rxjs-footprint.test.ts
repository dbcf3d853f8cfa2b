/**
 * Loading unibus does not load the `rxjs` index (src/rx.ts says why: the index alone put a hub
 * and its clients past V8's 8 MiB old-generation mark, where a subscriber receiving large
 * messages spent most of its CPU in mark-compacts). Checked in a fresh process, since this one
 * may have loaded `rxjs` for itself; then every source file, so a module loaded only later (the
 * NATS fabric) is covered too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../../src/', import.meta.url));
/** dist/test/bus → the repository's src/ (the TypeScript sources). */
const sources = fileURLToPath(new URL('../../../src/', import.meta.url));

test('importing unibus and opening a hub and a client loads no rxjs index', () => {
  const script = `
    const { Bus } = await import(${JSON.stringify(join(dist, 'index.js'))});
    const hub = await Bus.listen('memory://rxjs-footprint');
    const bus = await Bus.connect('memory://rxjs-footprint');
    bus.subscribe('a.>').subscribe(() => {});
    await bus.flush();
    await bus.close();
    await hub.close();
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify(Object.keys(cache).filter((k) => k.includes('/rxjs/'))));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  const loaded = JSON.parse(out.trim().split('\n').pop()!) as string[];
  assert.ok(loaded.length > 0, 'rxjs itself is loaded (the check sees CommonJS modules)');
  const index = loaded.filter((k) => /rxjs\/dist\/cjs\/(index|operators\/index)\.js$/.test(k));
  assert.equal(index, [], 'the rxjs index is not loaded');
});

test('no source file imports a value from the rxjs index (types only; values through src/rx.ts)', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'rxjs'/gm)) offenders.push(`${path}: ${m[0]}`);
      }
    }
  };
  walk(sources);
  assert.equal(offenders, []);
});

test.run();
