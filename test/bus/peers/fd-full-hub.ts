// A hub that can run itself out of file descriptors: `node fd-full-hub.js <url>`.
// Prints `ready`, then reads commands on stdin: `fill` opens /dev/null until EMFILE (the process
// has no descriptor left) and prints `full <n>`; `free` closes them and prints `freed`.
// Every `error` event of the hub's bus is printed as `error <code> <message>`. Exits on SIGTERM
// after closing the hub (what it made must be gone).
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Bus } from '../../../src/bus/bus.js';

const url = process.argv[2]!;
const hub = await Bus.listen(url);
hub.subscribe('>').subscribe(() => undefined);
hub.events.subscribe((e) => {
  if (e.type === 'error') console.log(`error ${(e.error as { code?: string }).code} ${e.error.message.replace(/\n/g, ' ')}`);
});
const fillers: number[] = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'fill') {
    for (;;) {
      try { fillers.push(openSync('/dev/null', 'r')); } catch { break; }
    }
    console.log(`full ${fillers.length}`);
  } else if (line === 'free') {
    for (const fd of fillers.splice(0)) closeSync(fd);
    console.log('freed');
  }
});
process.once('SIGTERM', () => {
  for (const fd of fillers.splice(0)) closeSync(fd);
  void hub.close().then(() => process.exit(0));
});
console.log('ready');
