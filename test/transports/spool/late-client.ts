// Unnamed-client helper for anon-channel-race.test.ts:
// `node late-client.js <url> <name> <signalDir>` waits for <signalDir>/go, then opens channel
// <name> exactly as an unnamed client does (lock, then the ephemeral marker). Right after the
// marker is written it creates <signalDir>/marked and pauses until <signalDir>/continue exists:
// the moment a hub must not mistake for a dead client's leftovers. Then it sends `hello`,
// prints `opened` (or `failed <code> <message>`) and stays connected until stdin ends.
import fs, { existsSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { SpoolClientConnection } from '../../../src/transports/spool/spool-client.js';
import { spoolOptions } from '../../../src/transports/spool/spool-options.js';
import { channelPaths } from '../../../src/transports/spool/channel-layout.js';

const [url, name, signals] = process.argv.slice(2) as [string, string, string];
const o = spoolOptions(url);
const marker = channelPaths(o.dir, name).ephemeral;
const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

// The client's own code writes the marker with fs.writeFileSync: pause it right after.
const write = fs.writeFileSync;
fs.writeFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
  (write as (...a: unknown[]) => void)(file, ...rest);
  if (file !== marker) return;
  write(join(signals, 'marked'), '');
  for (let waited = 0; !existsSync(join(signals, 'continue')) && waited < 30_000; waited += 2) sleep(2);
}) as typeof fs.writeFileSync;
syncBuiltinESMExports();

while (!existsSync(join(signals, 'go'))) await new Promise((r) => setTimeout(r, 5));
try {
  const conn = await SpoolClientConnection.open(o.dir, name, true, o);
  await conn.send(Buffer.from('hello'));
  console.log('opened');
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  await conn.close();
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  console.log(`failed ${e.code ?? ''} ${e.message}`);
}
