/**
 * The CLI scenario of every issue, over every transport whose clients are separate programs
 * (capabilities: crossProcess, not spawnsClients): the three-process wildcard scenario, and a
 * message of nearly 16 MiB through `pub` and `sub` arriving intact (checksum). Then nothing of
 * the URL is left.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fixtures } from '../conformance/fixtures/index.js';
import { ChildSet } from '../helpers/processes.js';
import { cli, stderrHas } from './cli-helpers.js';
import { wildcardScenario } from './scenario.js';

const children = new ChildSet();
test.after.each(() => children.killAll());

/** A JSON string payload whose frame (envelope + msgpack) stays under the 16 MiB default. */
const BIG = 16 * 1024 * 1024 - 4096;

for (const scheme of Object.keys(fixtures)) {
  const load = fixtures[scheme]!;
  test(`${scheme}: three processes, wildcards exact and in order; a ${BIG}-byte message intact`, async () => {
    const fixture = await load();
    const caps = fixture.capabilities;
    if (!caps.crossProcess || caps.spawnsClients || caps.maxFrameSize < 16 * 1024 * 1024) return;
    const url = fixture.url('cli');
    await wildcardScenario(url, children);
    assert.equal(await fixture.leftovers(url), [], 'after the wildcard scenario');

    const url2 = fixture.url('cli-big');
    const hub = children.add(cli(['hub', url2]));
    await hub.waitLine(/^listening /);
    const sub = children.add(cli(['sub', url2, 'big.one', '--count', '1', '--timeout', '120']));
    await stderrHas(sub, 'subscribed');
    const text = 'unibus'.repeat(Math.floor(BIG / 6));
    const pub = children.add(cli(['pub', url2, 'big.one']));
    pub.proc.stdin!.end(`${JSON.stringify(text)}\n`);
    assert.is((await pub.waitExit(120_000)).code, 0, pub.stderr);
    assert.is((await sub.waitExit(120_000)).code, 0, sub.stderr);
    const got = JSON.parse(sub.lines[0]!) as { topic: string; data: string };
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    assert.is(got.data.length, text.length);
    assert.is(sha(got.data), sha(text));
    hub.kill('SIGINT');
    assert.is((await hub.waitExit(30_000)).code, 0, hub.stderr);
    assert.equal(await fixture.leftovers(url2), [], 'after the big message');
  });
}

test.run();
