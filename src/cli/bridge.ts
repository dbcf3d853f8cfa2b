/**
 * `unibus bridge <local-url> <remote-url> --export P --import P`: carries chosen topics between
 * a local hub and NATS (or any two URLs), without loops or duplicates (see src/bus/bridge.ts).
 */
import { Bridge } from '../bus/bridge.js';
import { onShutdown } from '../process/shutdown.js';
import { parse, UsageError } from './args.js';

export const help = `
Usage: unibus bridge <local-url> <remote-url> [--export PATTERN]... [--import PATTERN]...
                     [--listen] [--name NAME] [--id ID]

Carries messages on --export patterns from the local hub to <remote-url> (e.g. nats://host:4222)
and messages on --import patterns back, each at most once (bridged messages carry the header
unibus-bridge and are never re-exported). Requests cross too; replies come back.
  --listen   serve as the local hub instead of connecting to one
Prints "bridging <local-url> <remote-url>" once both sides are ready; SIGINT or SIGTERM closes
both and exits 0. Exits 1 if the local hub goes away (NATS reconnects are waited out).

Example: unibus bridge unix:///run/app.sock nats://10.0.0.5:4222 --export 'orders.>' --import 'prices.*'`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, {
    export: { type: 'string', multiple: true },
    import: { type: 'string', multiple: true },
    listen: { type: 'boolean' },
    name: { type: 'string' },
    id: { type: 'string' },
  }, help);
  const [local, remote, extra] = positionals;
  if (!local || !remote || extra !== undefined) throw new UsageError(`expected <local-url> <remote-url>\n${help}`);
  const v = values as unknown as { export?: string[]; import?: string[]; listen?: boolean; name?: string; id?: string };
  if (!v.export?.length && !v.import?.length) throw new UsageError(`give at least one --export or --import pattern\n${help}`);
  const bridge = await Bridge.open(local, remote, {
    export: v.export ?? [], import: v.import ?? [],
    ...(v.listen ? { listen: true } : {}),
    ...(v.name !== undefined ? { name: v.name } : {}),
    ...(v.id !== undefined ? { id: v.id } : {}),
  });
  onShutdown(async () => {
    await bridge.close();
    process.stderr.write(`bridge stopped: ${JSON.stringify(bridge.stats())}\n`);
  });
  process.stdout.write(`bridging ${local} ${remote}\n`);
  // Runs until a signal; if a side is lost for good, exit 1 so a supervisor can restart it.
  const lost = await bridge.lost;
  process.stderr.write(`unibus bridge: ${lost.message}\n`);
  await bridge.close();
  return 1;
}
