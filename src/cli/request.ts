/** `unibus request <url> <topic> <JSON>`: send a request, print the reply as JSON. */
import { Bus } from '../bus/bus.js';
import { checkTopic } from '../bus/subjects/grammar.js';
import { parse, parseJson, seconds, toJson, UsageError } from './args.js';

export const help = `
Usage: unibus request <url> <topic> <JSON> [--timeout SECONDS]

Sends a request and prints the reply as JSON on stdout. Fails at once when nobody serves
<topic>, or after the timeout (default 5 s).`;

export async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parse(argv, { timeout: { type: 'string' } }, help);
  const [url, topic, json] = positionals;
  if (!url || !topic || json === undefined) throw new UsageError(`missing <url>, <topic> or <JSON>\n${help}`);
  const timeout = seconds(values.timeout, '--timeout') ?? 5000;
  checkTopic(topic);
  const request = parseJson(json, 'the request');
  const bus = await Bus.connect(url);
  try {
    const reply = await bus.request(topic, request, { timeout });
    process.stdout.write(`${toJson(reply)}\n`);
  } finally {
    await bus.close();
  }
  return 0;
}
