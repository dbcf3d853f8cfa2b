/**
 * A hub process: listens on `UNIBUS_URL`, prints `listening`, and holds the URL until it is
 * killed (the suite SIGKILLs it to leave stale objects for the next hub to replace).
 * @module
 */
import { transportFor } from '../../../transports/registry.js';

const url = process.env.UNIBUS_URL;
if (!url) throw new TypeError('UNIBUS_URL is not set');
const listener = await (await transportFor(url)).listen(url);
process.stdout.write(`listening ${listener.url}\n`);
setInterval(() => undefined, 1 << 30);
