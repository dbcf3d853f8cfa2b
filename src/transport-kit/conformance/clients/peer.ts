/**
 * A client process of the Transport suite: `node peer.js <role> [args…]` connects to
 * `UNIBUS_URL` (with `UNIBUS_MAX_FRAME_SIZE` when set) and plays one role of ../roles.ts,
 * printing its lines on stdout. It never calls `process.exit` unless its role says so, so a
 * role that ends shows that everything was released.
 * @module
 */
import { transportFor } from '../../../transports/registry.js';
import { roles } from '../roles.js';

const [name = '', ...args] = process.argv.slice(2);
const role = roles[name];
if (!role) throw new TypeError(`unknown role: ${name}`);
const url = process.env.UNIBUS_URL;
if (!url) throw new TypeError('UNIBUS_URL is not set');
const max = process.env.UNIBUS_MAX_FRAME_SIZE;
const conn = await (await transportFor(url)).connect(url, max ? { maxFrameSize: Number(max) } : {});
await role({
  conn,
  args,
  // Writes to a pipe are synchronous on Linux: a line printed is a line the test will see.
  print: (line) => { process.stdout.write(`${line}\n`); },
  exit: () => process.exit(0),
  kill: () => { process.kill(process.pid, 'SIGKILL'); },
});
