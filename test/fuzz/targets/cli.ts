/** CLI arguments: parse() with the real option specs, then the value checks the commands apply. */
import fc from 'fast-check';
import { parse, parseJson, positiveInt, seconds, UsageError } from '../../../src/cli/args.js';
import { instanceOfAny, type FuzzTarget } from '../target.js';

/** The options of `sub` and `pub` (the commands with value options). */
const spec = { count: { type: 'string' }, timeout: { type: 'string' }, queue: { type: 'string' }, interval: { type: 'string' } } as const;

const token = fc.oneof(
  fc.constantFrom('--count', '--timeout', '--queue', '--interval', '--count=3', '--timeout=0.5', '--', '-', '-c', '--x', '--count=', '-xyz', '--no-count'),
  fc.constantFrom('0', '-1', '1', '2.5', 'NaN', 'Infinity', '1e309', '0x10', ' 7 ', '', '{"a":1}', '[1,', 'null', 'unix:///tmp/a.sock', 'a.>'),
  fc.string({ maxLength: 10 }),
);

export const cliArgs: FuzzTarget<string[]> = {
  name: 'cli.args',
  // --help/-h print and exit the process by design; they are not input to fuzz.
  input: fc.array(token, { maxLength: 8 }).map((a) => a.filter((t) => t !== '--help' && t !== '-h')),
  run(argv) {
    const { values, positionals } = parse(argv, spec, 'usage: test');
    if (values.count !== undefined) positiveInt(values.count, '--count', 1);
    seconds(values.timeout, '--timeout');
    seconds(values.interval, '--interval');
    if (positionals[0] !== undefined) parseJson(positionals[0], 'payload');
  },
  typed: instanceOfAny(UsageError),
};
