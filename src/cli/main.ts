/**
 * The `unibus` command line. Each command is its own module with `help` and `run(argv)`,
 * loaded on demand; add a command with one line in `commands`.
 * @module
 */
import { UnibusError } from '../errors.js';
import { UsageError } from './args.js';
import { finish, guardExitPaths } from './exit-paths.js';

type Command = { help: string; run(argv: string[]): Promise<number> };

const commands: Record<string, () => Promise<Command>> = {
  hub: () => import('./hub.js'),
  sub: () => import('./sub.js'),
  pub: () => import('./pub.js'),
  request: () => import('./request.js'),
  demo: () => import('./demo.js'),
  supervise: () => import('./supervise.js'),
  bridge: () => import('./bridge.js'),
  top: () => import('./top.js'),
  monitor: () => import('./monitor.js'),
  doctor: () => import('./doctor.js'),
};

const usage = `
Usage: unibus <command> [options]     (unibus <command> --help for details)

Commands:
  hub <url>                      serve as hub
  sub <url> <pattern>            print messages as JSON lines
  pub <url> <topic> [JSON]       publish
  request <url> <topic> <JSON>   send a request, print the reply
  demo                           a hub, two sensors and a monitor on a Unix socket
  supervise <config.json>        run and restart child processes, events as JSON lines
  bridge <local> <nats> --export P --import P   carry chosen topics to NATS and back
  top <url> [--once]             topics and peers by rate, in the terminal
  monitor <url> [--port N]       live web page of the bus (loopback only by default)
  doctor [url]                   check limits and leftovers that make transports fail

URLs: unix:///path.sock  memory://name  (see the README for every transport)`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '__demo-worker') {
    const { runWorker } = await import('./demo-worker.js');
    await runWorker(rest[0]!, rest[1]!, rest[2]!);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage.trim()}\n`);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`unibus: unknown command ${name}\n${usage}\n`);
    return 2;
  }
  return (await load()).run(rest);
}

guardExitPaths();
// However a command ends, run its registered closers and exit with its code: an error thrown
// while a bus or hub was open must not leave the process alive on that open connection.
main(process.argv.slice(2)).then(
  (code) => finish(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`unibus: ${err.message}\n`);
    else if (err instanceof UnibusError || (err instanceof Error && 'code' in err)) {
      process.stderr.write(`unibus: ${(err as Error).message}\n`);
    } else process.stderr.write(`unibus: ${(err as Error)?.stack ?? String(err)}\n`);
    return finish(err instanceof UsageError ? 2 : 1);
  },
);
