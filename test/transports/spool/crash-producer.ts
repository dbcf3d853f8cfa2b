// Crash-test producer: `node crash-producer.js <url> <progressFile> <total>` sends frames
// "<n>:<filler>" numbered from the last acknowledged number + 1 up to total - 1, recording in
// <progressFile> (after each batch is accepted) how far it got; reconnects when its connection
// ends (a hub restart). Prints `done` at the end.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';

const [url, progress, totalText] = process.argv.slice(2) as [string, string, string];
const total = Number(totalText);
let next = 0;
try { next = Number(readFileSync(progress, 'utf8')) + 1; } catch { /* first start */ }

export function frameOf(n: number): Uint8Array {
  return Buffer.from(`${n}:${'abcdefghij'.repeat(2 + (n % 5))}`);
}

while (next < total) {
  let conn;
  try {
    conn = await spoolTransport.connect(url);
  } catch {
    await new Promise((r) => setTimeout(r, 20)); // the name is still held by our killed predecessor
    continue;
  }
  conn.consume(() => undefined);
  try {
    while (next < total) {
      const end = Math.min(total, next + 200);
      for (let n = next; n < end; n++) conn.write(frameOf(n));
      await conn.drained();
      // write-then-rename: a kill never leaves an empty progress file behind
      writeFileSync(`${progress}.tmp`, String(end - 1));
      renameSync(`${progress}.tmp`, progress);
      next = end;
    }
    await conn.close();
  } catch {
    // the hub restarted and ended this session: reconnect and go on
  }
}
console.log('done');
