// Crash-test consumer: `node crash-consumer.js <url> <logFile>` runs the hub and appends each
// received number to <logFile> (one write per frame, before the frame counts as handled), or
// `TORN <text>` for a frame whose filler is wrong.
import { appendFileSync } from 'node:fs';
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';

const [url, log] = process.argv.slice(2) as [string, string];
let hub;
for (;;) {
  try {
    hub = await spoolTransport.listen(url);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 20));
  }
}
console.log('listening');
for await (const conn of hub) {
  conn.consume((frame) => {
    const text = Buffer.from(frame).toString();
    const [num, filler] = text.split(':') as [string, string];
    const n = Number(num);
    const ok = Number.isInteger(n) && filler === 'abcdefghij'.repeat(2 + (n % 5));
    appendFileSync(log, ok ? `${n}\n` : `TORN ${JSON.stringify(text)}\n`);
  });
}
