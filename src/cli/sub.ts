/** `unibus sub <url> <pattern>`: print matching messages as JSON lines. */
import { Bus } from '../bus/bus.js';
import { checkPattern } from '../bus/subjects/grammar.js';
import { onShutdown } from '../process/shutdown.js';
import { parse, positiveInt, seconds, toJson, UsageError } from './args.js';

export const help = `
Usage: unibus sub <url> <pattern> [--count N] [--timeout SECONDS] [--queue GROUP]

Subscribes to <pattern> ("*" one token, ">" the rest). Prints "subscribed" on stderr once the
hub has confirmed the subscription, then one JSON line per message on stdout:
{"topic":"...","data":...}. Exits 0 after N messages, 1 on timeout.`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, {
    count: { type: 'string' }, timeout: { type: 'string' }, queue: { type: 'string' },
  }, help);
  const [url, pattern] = positionals;
  if (!url || !pattern) throw new UsageError(`missing <url> or <pattern>\n${help}`);
  const count = values.count === undefined ? Infinity : positiveInt(values.count, '--count', 1);
  const timeout = seconds(values.timeout, '--timeout');
  checkPattern(pattern); // before connecting: a bad pattern is a usage error, not a session
  const bus = await Bus.connect(url);
  onShutdown(() => bus.close());
  const controller = new AbortController();
  let timedOut = false;
  const timer = timeout === undefined ? undefined : setTimeout(() => { timedOut = true; controller.abort(); }, timeout);
  const messages = bus.subscribe(pattern, { signal: controller.signal, ...(values.queue ? { queue: values.queue } : {}) });
  const iterator = messages[Symbol.asyncIterator]();
  await bus.flush();
  process.stderr.write('subscribed\n');
  let seen = 0;
  while (seen < count) {
    const r = await iterator.next();
    if (r.done) break;
    seen++;
    process.stdout.write(`${toJson({ topic: r.value.topic, data: r.value.data })}\n`);
  }
  clearTimeout(timer);
  await iterator.return?.();
  await bus.close();
  if (timedOut && seen < count) {
    process.stderr.write(`timeout: ${seen} message(s) received\n`);
    return 1;
  }
  return 0;
}
