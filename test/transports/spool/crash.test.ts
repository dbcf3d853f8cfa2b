// The spool crash test: a producer sends 100k numbered frames while the consumer (the hub) and
// the producer are killed with SIGKILL and restarted at random moments. The consumer's log must
// hold every number, in order, with duplicates only as replays (never a gap), nothing torn.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../../helpers/run-id.js';
import { ChildSet, script, spawnNode, type Child } from '../../helpers/processes.js';
import { until } from '../../helpers/watchdog.js';
import { removeTmp } from '../../sync/cleanup.js';

const TOTAL = Number(process.env.SPOOL_CRASH_FRAMES ?? 100_000);
const producerJs = script(import.meta.url, './crash-producer.js');
const consumerJs = script(import.meta.url, './crash-consumer.js');
const dir = tmpDir('crash');
const children = new ChildSet();

test.after(async () => {
  await children.killAll();
  removeTmp(dir);
});

function lastLogged(log: string): number {
  if (!existsSync(log)) return -1;
  const text = readFileSync(log, 'utf8');
  const lines = text.trimEnd().split('\n');
  return Number(lines[lines.length - 1]);
}

test(`${TOTAL} frames survive random SIGKILLs of consumer and producer`, async () => {
  const url = `file://${join(dir, 'spool')}?consumer=producer&segmentSize=1MiB`;
  const hubUrl = `file://${join(dir, 'spool')}?segmentSize=1MiB`;
  const log = join(dir, 'consumer.log');
  const progress = join(dir, 'producer.progress');
  const startConsumer = (): Child => children.add(spawnNode(consumerJs, [hubUrl, log]));
  const startProducer = (): Child => children.add(spawnNode(producerJs, [url, progress, String(TOTAL)]));
  let consumer = startConsumer();
  let producer = startProducer();
  let kills = 0;
  const deadline = Date.now() + 90_000;
  while (!producer.lines.includes('done') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
    if (producer.lines.includes('done') || kills >= 16) continue;
    kills += 1;
    if (Math.random() < 0.5) {
      consumer.kill('SIGKILL');
      await consumer.exited;
      consumer = startConsumer();
    } else {
      producer.kill('SIGKILL');
      await producer.exited;
      producer = startProducer();
    }
  }
  await producer.waitExit(60_000);
  assert.ok(producer.lines.includes('done'), `producer did not finish: ${producer.stderr.slice(-500)}`);
  await until('consumer logged the last frame', () => lastLogged(log) === TOTAL - 1, 60_000, 100);
  consumer.kill('SIGKILL');
  await consumer.exited;

  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  let max = -1;
  let duplicates = 0;
  for (const [i, line] of lines.entries()) {
    assert.not.match(line, /^TORN/, `torn frame at line ${i}`);
    const n = Number(line);
    assert.ok(Number.isInteger(n), `bad line ${i}: ${line}`);
    assert.ok(n <= max + 1, `gap at line ${i}: ${n} after max ${max}`);
    if (n === max + 1) max = n;
    else duplicates += 1;
  }
  assert.is(max, TOTAL - 1);
  // a producer restart resends at most its unacknowledged batch (200); a consumer restart
  // replays at most what it handled after its last commit (one frame in push mode)
  assert.ok(duplicates <= (kills + 1) * 201, `duplicates=${duplicates} kills=${kills}`);
  console.log(`kills=${kills} lines=${lines.length} duplicates=${duplicates}`);
});

test.run();
