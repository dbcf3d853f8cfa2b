/** `unibus hub <url>`: serve as hub until SIGINT/SIGTERM, then remove everything and exit 0. */
import { Bus } from '../bus/bus.js';
import { onShutdown } from '../process/shutdown.js';
import { schemeOf } from '../transports/registry.js';
import { parse, UsageError } from './args.js';

export const help = `
Usage: unibus hub <url> [--name NAME] [--spawn "COMMAND"]...

Serves as the hub for <url> (unix:///path.sock, fifo:///dir, pipe:, memory://name, ...). Prints
"listening <url>" on stdout once ready. SIGINT or SIGTERM closes everything (no files or kernel
objects left), ends the spawned children, and exits 0.

--spawn "COMMAND" (pipe: only, repeatable) starts COMMAND with /bin/sh as a client of this hub
on inherited pipes; it shares the hub's stdout and stderr, e.g.
  unibus hub pipe: --spawn "unibus sub pipe: 'a.*'" --spawn "unibus pub pipe: a.b 1"`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { name: { type: 'string' }, spawn: { type: 'string', multiple: true } }, help);
  const [url] = positionals;
  if (!url) throw new UsageError(`missing <url>\n${help}`);
  const commands = (values.spawn ?? []) as unknown as string[];
  if (commands.length > 0 && schemeOf(url) !== 'pipe') {
    throw new UsageError(`--spawn works only with pipe: (the hub starts its clients); got ${url}`);
  }
  const bus = await Bus.listen(url, values.name ? { name: values.name } : {});
  onShutdown(() => bus.close());
  bus.events.subscribe((e) => {
    if (e.type === 'peer-joined' || e.type === 'peer-left' || e.type === 'slow-consumer') {
      process.stderr.write(`${e.type} ${'peer' in e && e.peer ? `${e.peer.name} pid=${e.peer.pid ?? '?'}` : ''}\n`);
    }
  });
  process.stdout.write(`listening ${bus.url}\n`);
  // `exec` makes the command replace the shell, so the child the hub watches is the client itself.
  for (const command of commands) bus.spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: 'inherit' });
  await new Promise(() => undefined); // until a signal
  return 0;
}
