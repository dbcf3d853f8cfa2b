/**
 * A subscriber of another user than the hub's (the other-user test starts it as `nobody`).
 * argv: <url> <copy|zero> <count>: subscribes to `s.>` (with zeroCopy for `zero`), prints
 * "ready" once the hub has the subscription, "msg <length> <first byte>" per message (releasing
 * zero-copy ones), "event <type> <message>" for bad-payload and error events, and exits 0
 * after <count> messages.
 */
import { Bus } from '../../src/bus/bus.js';

const [url, mode, count] = process.argv.slice(2) as [string, string, string];
const bus = await Bus.connect(url, { allowOtherUsers: true, reconnect: false });
bus.events.subscribe((e) => {
  if (e.type === 'bad-payload' || e.type === 'error') console.log(`event ${e.type} ${e.error?.message ?? ''}`);
});
let got = 0;
bus.subscribe('s.>', mode === 'zero' ? { zeroCopy: true } : {}).subscribe((m) => {
  const data = m.data as Uint8Array;
  console.log(`msg ${data.length} ${data[0]}`);
  (m as { release?: () => void }).release?.();
  if (++got === Number(count)) void bus.close().then(() => process.exit(0));
});
await bus.flush();
console.log('ready');
