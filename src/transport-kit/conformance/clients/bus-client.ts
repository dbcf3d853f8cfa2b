/** A Bus-suite peer process: `node bus-client.js <role> ...args`, URL from UNIBUS_URL. Exits on stdin EOF. */
import { runBusRole } from '../bus-roles.js';

const [role, ...args] = process.argv.slice(2);
const stop = new Promise<void>((resolve) => {
  process.stdin.on('end', () => resolve());
  process.stdin.on('error', () => resolve());
  process.stdin.resume();
});
// stdout to a pipe is asynchronous on Linux: exit only once the last line is written.
const exit = (code: number): void => { process.stdout.write('', () => process.exit(code)); };
runBusRole(process.env.UNIBUS_URL!, role!, args, (line) => process.stdout.write(`${line}\n`), stop).then(
  () => exit(0),
  (err: Error) => {
    process.stderr.write(`${err.stack}\n`, () => exit(1));
  },
);
