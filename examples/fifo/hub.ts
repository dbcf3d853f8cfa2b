/**
 * fifo: example, the hub. Serves `fifo:///tmp/unibus-fifo-example` (or the URL given) and prints
 * every message on `chat.>` until Ctrl-C; then the directory is removed.
 *
 *   node dist/examples/fifo/hub.js [fifo:///tmp/dir]
 */
import { Bus } from '../../src/index.js';

const url = process.argv[2] || 'fifo:///tmp/unibus-fifo-example';
const hub = await Bus.listen(url);
hub.subscribe('chat.>').subscribe((m) => console.log(`${m.topic}: ${JSON.stringify(m.data)}`));
console.log(`listening ${hub.url}`);
process.once('SIGINT', () => void hub.close().then(() => process.exit(0)));
