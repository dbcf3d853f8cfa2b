// A fifo: client (or hub) for fifo.test.ts. Usage: fifo-child.js <url> echo|burst N|hub
import { fifoTransport } from '../../../src/transports/fifo/fifo-transport.js';

const [url = '', mode = 'echo', arg = '0'] = process.argv.slice(2);

if (mode === 'hub') {
  const hub = await fifoTransport.listen(url);
  console.log('listening');
  for await (const conn of hub) void (async () => { for await (const f of conn) await conn.send(f); })();
} else {
  const conn = await fifoTransport.connect(url);
  console.log('connected');
  if (mode === 'burst') {
    for (let i = 0; i < Number(arg); i++) conn.write(new TextEncoder().encode(`frame ${i}`));
    await conn.close();
    process.exit(0);
  }
  for await (const frame of conn) await conn.send(frame);
  process.exit(0);
}
