/** `unibus pub <url> <topic> [JSON]`: publish, then wait until the hub has accepted all. */
import { createInterface } from 'node:readline';
import { Bus } from '../bus/bus.js';
import { checkTopic } from '../bus/subjects/grammar.js';
import { parse, parseJson, positiveInt, UsageError } from './args.js';

export const help = `
Usage: unibus pub <url> <topic> [JSON] [--count N] [--codec msgpack|json]

Publishes the JSON value N times (default 1), or one message per stdin line when JSON is
omitted. Exits 0 once the hub has accepted all of them.`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { count: { type: 'string' }, codec: { type: 'string' } }, help);
  const [url, topic, json] = positionals;
  if (!url || !topic) throw new UsageError(`missing <url> or <topic>\n${help}`);
  const count = positiveInt(values.count, '--count', 1);
  const codec = values.codec as 'msgpack' | 'json' | undefined;
  if (codec !== undefined && codec !== 'msgpack' && codec !== 'json') throw new UsageError('--codec must be msgpack or json');
  checkTopic(topic);
  const value = json === undefined ? undefined : parseJson(json, 'the message');
  const bus = await Bus.connect(url, codec ? { codec } : {});
  try {
    if (json !== undefined) {
      for (let i = 0; i < count; i++) await bus.publish(topic, value);
    } else {
      for await (const line of createInterface({ input: process.stdin })) {
        if (line.trim() === '') continue;
        await bus.publish(topic, parseJson(line, 'a stdin line'));
      }
    }
    await bus.flush(); // the hub has processed everything we sent
  } finally {
    await bus.close();
  }
  return 0;
}
