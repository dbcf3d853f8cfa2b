// Route-crash hub: `node route-hub.js <url> <dieAt>` routes numbered frames from any client to the
// latest connection that said `hello:b` (holding them until one has). With dieAt >= 0 it SIGKILLs
// itself in a microtask queued right before routing frame <dieAt>: after that frame was handled,
// before its routed copy's append (queued after it) ran.
import { spoolTransport } from '../../../src/transports/spool/spool-transport.js';
import type { Connection } from '../../../src/transports/transport.js';

const [url, dieAtText] = process.argv.slice(2) as [string, string];
const dieAt = Number(dieAtText);
const hub = await spoolTransport.listen(url);
let b: Connection | undefined;
const held: Uint8Array[] = [];
console.log('listening');
for await (const conn of hub) {
  conn.consume((frame) => {
    const text = Buffer.from(frame).toString();
    if (text === 'hello:b') {
      b = conn;
      for (const f of held.splice(0)) b.write(f);
      console.log('b joined');
      return;
    }
    if (Number(text) === dieAt) queueMicrotask(() => process.kill(process.pid, 'SIGKILL'));
    if (b) b.write(frame);
    else held.push(frame);
  });
}
