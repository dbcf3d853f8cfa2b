/** `unibus hub <url>`: serve as hub until SIGINT/SIGTERM, then remove everything and exit 0. */
import { Bus } from '../bus/bus.js';
import { onShutdown } from '../process/shutdown.js';
import { schemeOf } from '../transports/registry.js';
import { parse, UsageError } from './args.js';
import { HubPolicy } from '../bus/policy/hub-policy.js';
import { reloadOnHangup } from './exit-paths.js';

export const help = `
Usage: unibus hub <url> [--name NAME] [--policy policy.json] [--spawn "COMMAND"]...

Serves as the hub for <url> (unix:///path.sock, fifo:///dir, pipe:, memory://name, ...). Prints
"listening <url>" on stdout once ready. SIGINT or SIGTERM closes everything (no files or kernel
objects left), ends the spawned children, and exits 0.

--spawn "COMMAND" (pipe: only, repeatable) starts COMMAND with /bin/sh as a client of this hub
on inherited pipes; it shares the hub's stdout and stderr, e.g.
  unibus hub pipe: --spawn "unibus sub pipe: 'a.*'" --spawn "unibus pub pipe: a.b 1"

--policy FILE (unix:// only) lets other users connect and enforces FILE's per-user and
per-group publish/subscribe rules (docs/security.md). SIGHUP reloads FILE without dropping
connections ("policy reloaded" on stderr); a bad file keeps the old rules (its error on stderr).`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, {
    name: { type: 'string' }, spawn: { type: 'string', multiple: true }, policy: { type: 'string' },
  }, help);
  const [url] = positionals;
  if (!url) throw new UsageError(`missing <url>\n${help}`);
  const commands = (values.spawn ?? []) as unknown as string[];
  if (commands.length > 0 && schemeOf(url) !== 'pipe') {
    throw new UsageError(`--spawn works only with pipe: (the hub starts its clients); got ${url}`);
  }
  const policy = values.policy ? HubPolicy.fromFile(values.policy as string) : undefined;
  const bus = await Bus.listen(url, { ...(values.name ? { name: values.name } : {}), ...(policy ? { policy } : {}) });
  onShutdown(() => bus.close());
  if (policy) {
    reloadOnHangup(() => {
      try {
        policy.reload();
        process.stderr.write('policy reloaded\n');
      } catch (err) {
        process.stderr.write(`policy not reloaded, the old rules stay: ${(err as Error).message}\n`);
      }
    });
  }
  bus.events.subscribe((e) => {
    if (e.type === 'permission-denied') process.stderr.write(`permission-denied ${e.peer.name} uid=${e.peer.uid ?? '?'}: ${e.error.message}\n`);
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
