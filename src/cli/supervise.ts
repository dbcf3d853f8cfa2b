/**
 * `unibus supervise <config.json>`: runs a Supervisor from a JSON config (the shape of
 * `SupervisorOptions`, durations in ms) and prints every lifecycle event as one JSON line on
 * stdout. Children's stdout goes to stderr unless a child says otherwise, so stdout stays
 * machine-readable. The first SIGINT/SIGTERM stops every child in reverse start order and exits
 * 0; a second exits at once. Exit code 1 when the supervisor gave up (restart intensity), 2 on a
 * bad command line or config.
 *
 * A child's relative `cwd` is resolved against the config file's directory, which is also the
 * default `cwd`. By default (or with `"url": "pipe:"`) the supervisor serves a `pipe:` hub and
 * starts every child connected to it, publishing its events there. With another `"url"`, the
 * command serves a hub there (or joins the hub that already serves it), publishes the events on
 * `$sys.supervisor.<name>.<type>`, and children find the URL in `UNIBUS_URL`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Bus } from '../bus/bus.js';
import { HubRunningError } from '../errors.js';
import { onShutdown } from '../process/shutdown.js';
import { parse, UsageError } from './args.js';
import { Supervisor } from '../process/supervisor/index.js';
import type { SupervisorOptions } from '../process/supervisor/index.js';

export const help = `
Usage: unibus supervise <config.json>

Runs the children declared in <config.json> (see docs/supervisor.md), restarts them by policy,
and prints every lifecycle event as one JSON line on stdout (children's stdout goes to stderr).
SIGINT or SIGTERM stops every child in reverse start order and exits 0; a second exits at once.
Exits 1 when the restart intensity is exceeded, 2 on a bad command line or config.`;

/** Reads and checks a config file; relative paths are taken from its directory. */
export async function loadSuperviseConfig(path: string): Promise<SupervisorOptions> {
  const base = dirname(resolve(path));
  let config: SupervisorOptions;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as SupervisorOptions;
  } catch (err) {
    throw new TypeError(`Cannot read supervisor config: ${(err as Error).message}: path=${path}`);
  }
  if (typeof config !== 'object' || config === null || !Array.isArray(config.children)) {
    throw new TypeError(`Invalid supervisor config: expected { "children": [...] }: path=${path}`);
  }
  return {
    ...config,
    children: config.children.map((c) => ({
      stdout: 'stderr' as const,
      ...c,
      cwd: resolve(base, typeof c?.cwd === 'string' ? c.cwd : '.'),
    })),
  };
}

/**
 * Runs the command; resolves with the exit code once every child is gone (a signal exits through
 * `shutdown()` instead, after the supervisor has stopped everything).
 *
 * @example
 * ```ts
 * process.exitCode = await run(['examples/supervisor/supervise.json']);
 * ```
 */
export async function run(argv: string[]): Promise<number> {
  const { positionals } = parse(argv, {}, help);
  const [path, ...rest] = positionals;
  if (path === undefined || rest.length > 0) throw new UsageError(`expected one <config.json>\n${help}`);
  let supervisor: Supervisor;
  let bus: Bus | undefined;
  try {
    const config = await loadSuperviseConfig(path);
    // pipe: is served by the supervisor itself (it spawns the children through it).
    if (config.url !== undefined && !/^pipe:/i.test(config.url)) bus = await openBus(config.url);
    supervisor = new Supervisor({ ...config, ...(bus ? { bus, url: bus.url } : {}) });
  } catch (err) {
    await bus?.close();
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
  supervisor.events.subscribe((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
  // Closers run newest first: the supervisor stops its children, then the bus closes.
  const unregister = [bus && onShutdown(() => bus.close()), onShutdown(() => supervisor.stop('shutdown'))];
  supervisor.start();
  const reason = await supervisor.done;
  for (const off of unregister) off?.();
  await bus?.close();
  return reason === 'gave-up' ? 1 : 0;
}

/** Serves a hub at `url`, or joins the one that already serves it. */
async function openBus(url: string): Promise<Bus> {
  try {
    return await Bus.listen(url);
  } catch (err) {
    if (err instanceof HubRunningError) return Bus.connect(url);
    throw err;
  }
}
