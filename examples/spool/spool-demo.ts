/**
 * A spool that survives killing the consumer: a producer sends 2000 numbered frames into
 * `file:///tmp/...` while the consumer (the hub) is killed with SIGKILL twice and restarted.
 * The consumer's output ends with every number, in order (a few replayed around the kills).
 *
 *   node dist/examples/spool/spool-demo.js
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync } from 'node:fs';
import { spoolTransport } from '../../src/transports/spool/spool-transport.js';

const [role, dir, log] = process.argv.slice(2);
const TOTAL = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (role === 'consumer') {
  const hub = await spoolTransport.listen(`file://${dir}`);
  for await (const conn of hub) {
    // The offset is committed after this handler returns: a kill replays at most one frame.
    conn.consume((frame) => appendFileSync(log!, `${Buffer.from(frame).toString()}\n`));
  }
} else if (role === 'producer') {
  const conn = await spoolTransport.connect(`file://${dir}?consumer=demo-producer`);
  for (let i = 0; i < TOTAL; i++) {
    await conn.send(Buffer.from(String(i))); // resolves once the frame is in the spool
    if (i % 100 === 0) await sleep(20);
  }
  await conn.close();
} else {
  const base = `/tmp/unibus-spool-demo-${process.pid}`;
  const start = (r: string): ChildProcess => spawn(process.execPath, [process.argv[1]!, r, base, `${base}.log`], { stdio: 'inherit' });
  let consumer = start('consumer');
  const producer = start('producer');
  for (let k = 0; k < 2; k++) {
    await sleep(300);
    consumer.kill('SIGKILL');
    console.log('killed the consumer; restarting it');
    consumer = start('consumer');
  }
  await new Promise((r) => producer.once('exit', r));
  const lastIs = () => { try { return readFileSync(`${base}.log`, 'utf8').trimEnd().split('\n').pop() === String(TOTAL - 1); } catch { return false; } };
  while (!lastIs()) await sleep(50);
  consumer.kill('SIGKILL');
  const numbers = readFileSync(`${base}.log`, 'utf8').trimEnd().split('\n').map(Number);
  const unique = new Set(numbers);
  console.log(`consumer logged ${numbers.length} frames, ${unique.size} distinct of ${TOTAL}`);
  rmSync(base, { recursive: true, force: true });
  rmSync(`${base}.log`, { force: true });
  process.exit(unique.size === TOTAL ? 0 : 1);
}
