/**
 * `unibus supervise <config.json>`: runs a Supervisor from a JSON config (the shape of
 * `SupervisorOptions`, durations in ms) and prints every lifecycle event as one JSON line on
 * stdout. Children's stdout goes to stderr unless a child says otherwise, so stdout stays
 * machine-readable. The first SIGINT/SIGTERM stops every child in reverse start order and exits
 * 0; a second exits at once. Exit code 1 when the supervisor gave up (restart intensity), 2 on a
 * bad command line or config.
 *
 * A child's relative `cwd` is resolved against the config file's directory, which is also the
 * default `cwd`. With `"url"` in the config, the command serves a hub there (or joins the hub
 * that already serves it), publishes the events on `$sys.supervisor.<name>.<type>`, and children
 * find the URL in `UNIBUS_URL`.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Bus } from '../bus/bus.js';
import { HubRunningError } from '../errors.js';
import { signals } from '../process/signals.js';
import { Supervisor } from '../process/supervisor/index.js';
import type { SupervisorOptions } from '../process/supervisor/index.js';

const USAGE = 'usage: unibus supervise <config.json>';

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
 * Runs the command; resolves with the process exit code once every child is gone.
 *
 * @example
 * ```ts
 * process.exitCode = await runSupervise(['examples/supervisor/supervise.json']);
 * ```
 */
export async function runSupervise(argv: readonly string[]): Promise<number> {
  const [path, ...rest] = argv;
  if (path === undefined || path === '-h' || path === '--help' || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return path === '-h' || path === '--help' ? 0 : 2;
  }
  let supervisor: Supervisor;
  let bus: Bus | undefined;
  try {
    const config = await loadSuperviseConfig(path);
    if (config.url !== undefined) bus = await openBus(config.url);
    supervisor = new Supervisor({ ...config, ...(bus ? { bus, url: bus.url } : {}) });
  } catch (err) {
    await bus?.close();
    process.stderr.write(`unibus supervise: ${(err as Error).message}\n`);
    return 2;
  }
  supervisor.events.subscribe((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
  let received = 0;
  const stopOnSignal = signals('SIGINT', 'SIGTERM').subscribe(({ signal }) => {
    received += 1;
    if (received === 1) void supervisor.stop('shutdown');
    else process.exit(signal === 'SIGINT' ? 130 : 143); // second signal: exit now
  });
  supervisor.start();
  const reason = await supervisor.done;
  stopOnSignal.unsubscribe();
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
