/** `unibus monitor <url>`: a live web page of the bus (see ./monitor/server.ts). */
import { Bus } from '../bus/bus.js';
import { onShutdown } from '../process/shutdown.js';
import { parse, positiveInt, UsageError } from './args.js';
import { startMonitor } from './monitor/server.js';

export const help = `
Usage: unibus monitor <url> [--port N] [--host ADDRESS]

Serves a live page of the hub at <url>: topics with their rates, peers with their transport,
rates, buffer fill and health, recent joins, leaves and slow consumers, and a tail of the
messages matching a pattern you type. Read-only: the page cannot publish.
Binds to 127.0.0.1 by default (--host 0.0.0.0 shows it to the network: anyone who reaches the
port can read the bus). --port 0 picks a free port (default 8377). Prints "monitor http://..."
once ready; Ctrl-C stops it. The figures are the hub's $sys.stats (local transports; a NATS
server has its own monitoring).`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' } }, help);
  const [url] = positionals;
  if (!url) throw new UsageError(`missing <url>\n${help}`);
  const port = values.port === '0' ? 0 : positiveInt(values.port, '--port', 8377);
  if (port > 65535) throw new UsageError(`--port must be at most 65535 (got ${port})`);
  const bus = await Bus.connect(url, { name: `unibus-monitor-${process.pid}` });
  let server;
  try {
    server = await startMonitor(bus, values.host ?? '127.0.0.1', port);
  } catch (err) {
    await bus.close();
    throw new UsageError(`cannot serve on ${values.host ?? '127.0.0.1'}:${port}: ${(err as Error).message}`);
  }
  onShutdown(async () => { await server.close(); await bus.close(); });
  process.stdout.write(`monitor ${server.url} (bus ${bus.url})\n`);
  await new Promise(() => undefined); // until a signal
  return 0;
}
