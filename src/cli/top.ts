/** `unibus top <url>`: the hub's `$sys.stats` in the terminal, refreshed in place. */
import { Bus } from '../bus/bus.js';
import { SYS_STATS, type StatsMessage } from '../bus/hub/stats.js';
import { onShutdown } from '../process/shutdown.js';
import { parse, seconds, UsageError } from './args.js';
import { renderTop } from './stats-format.js';

export const help = `
Usage: unibus top <url> [--once] [--timeout SECONDS]

Shows what flows through the hub at <url>: topics sorted by rate, peers with their transport,
rates, buffer fill and state, recent joins and leaves. Refreshes in place once a second until
Ctrl-C. --once prints one frame and exits (1 when no figures arrive within --timeout, default 10).
The figures are the hub's $sys.stats (local transports; a NATS server has its own monitoring).`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { once: { type: 'boolean' }, timeout: { type: 'string' } }, help);
  const [url] = positionals;
  if (!url) throw new UsageError(`missing <url>\n${help}`);
  const once = Boolean(values.once);
  const timeout = seconds(values.timeout, '--timeout') ?? 10_000;
  const bus = await Bus.connect(url, { name: `unibus-top-${process.pid}` });
  onShutdown(async () => {
    if (!once && process.stdout.isTTY) process.stdout.write('\x1b[?25h'); // cursor back
    await bus.close();
  });
  const giveUp = new AbortController();
  const stats = bus.subscribe(SYS_STATS, { signal: giveUp.signal });
  if (once) {
    const timer = setTimeout(() => giveUp.abort(), timeout);
    for await (const m of stats) {
      clearTimeout(timer);
      process.stdout.write(renderTop(m.data as StatsMessage, bus.url, process.stdout.columns || 120));
      await bus.close();
      return 0;
    }
    await bus.close();
    process.stderr.write(`unibus top: no $sys.stats from ${url} within ${timeout / 1000}s\n`);
    return 1;
  }
  const tty = process.stdout.isTTY;
  if (tty) process.stdout.write('\x1b[?25l');
  for await (const m of stats) {
    const frame = renderTop(m.data as StatsMessage, bus.url, process.stdout.columns || 120, Math.max(5, ((process.stdout.rows || 40) - 14) >> 1));
    // Home, draw, clear what the previous (longer) frame left below.
    process.stdout.write(tty ? `\x1b[H${frame.replaceAll('\n', '\x1b[K\n')}\x1b[J` : `${frame}\n`);
  }
  return 0;
}
