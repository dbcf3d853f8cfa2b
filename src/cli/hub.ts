/** `unibus hub <url>`: serve as hub until SIGINT/SIGTERM, then remove everything and exit 0. */
import { Bus } from '../bus/bus.js';
import { onShutdown } from '../process/shutdown.js';
import { parse, UsageError } from './args.js';

export const help = `
Usage: unibus hub <url> [--name NAME]

Serves as the hub for <url> (unix:///path.sock, memory://name, ...). Prints "listening <url>"
on stdout once ready. SIGINT or SIGTERM closes everything (no files or kernel objects left)
and exits 0.`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { name: { type: 'string' } }, help);
  const [url] = positionals;
  if (!url) throw new UsageError(`missing <url>\n${help}`);
  const bus = await Bus.listen(url, values.name ? { name: values.name } : {});
  onShutdown(() => bus.close());
  bus.events.subscribe((e) => {
    if (e.type === 'peer-joined' || e.type === 'peer-left' || e.type === 'slow-consumer') {
      process.stderr.write(`${e.type} ${'peer' in e && e.peer ? `${e.peer.name} pid=${e.peer.pid ?? '?'}` : ''}\n`);
    }
  });
  process.stdout.write(`listening ${bus.url}\n`);
  await new Promise(() => undefined); // until a signal
  return 0;
}
