// Child process for sysvmq tests: `node peer.js <mode> <url> [args]`.
//   publish <url> <count> <size> <tag>  connect, send <count> frames (tag, seq, sha256 of a
//                                       random body), print `sent`, close, exit
//   partial <url>                       connect, send "committed", then start a 1 MiB frame
//                                       that cannot fit; print `partial`; wait to be killed
//   hub <url>                           listen, print `ready`, echo frames; close on SIGINT/SIGTERM
//   hold <url>                          connect, print `connected`, wait to be killed
//   connecting <url>                    print `waking <wake queue>`, then connect with a long
//                                       timeout (to a dead hub: waits there until killed)
//   open-hub <url>                      as `hub`, open to other users (allowOtherUsers, mode 0666)
//   open-echo <url>                     connect with allowOtherUsers, send "hello", print
//                                       `echo <text>` when it comes back, close, exit
//   cycle <url>                         listen, connect, exchange a frame, close both, exit
//                                       on its own (the parked wait must be woken)
//   half-hub <url>                      do what a hub does up to creating its rendezvous queue
//                                       (liveness lock, key file, msgget IPC_EXCL), print
//                                       `made <msqid>`, then SIGKILL itself before posting INFO
import { makeFrame } from './frames.js';
import { sysvmqTransport as t } from '../../../src/transports/sysvmq/sysvmq-transport.js';
import { acquireWaker } from '../../../src/transports/sysvmq/waker.js';
import type { SysvConnection } from '../../../src/transports/sysvmq/connection.js';
import { parseSysvmqUrl } from '../../../src/transports/sysvmq/url.js';
import { acquireLiveness } from '../../../src/transports/sysvmq/liveness.js';
import { keyOf } from '../../../src/transports/sysvmq/rendezvous.js';
import { IPC_CREAT, IPC_EXCL, msgGetRaw } from '../../../src/native/sysv-msg.js';

/** This process's wake queue (the waker exists while any endpoint is open). */
const wakeQueue = (): number => acquireWaker().queueId;

const [mode, url, ...args] = process.argv.slice(2) as [string, string, ...string[]];

if (mode === 'publish') {
  const [count, size, tag] = args.map(Number) as [number, number, number];
  const c = await t.connect(url);
  for (let i = 0; i < count; i++) await c.send(makeFrame(tag, i, size));
  console.log('sent');
  await c.close();
} else if (mode === 'partial') {
  const c = await t.connect(url);
  c.write(new TextEncoder().encode('committed'));
  c.write(new Uint8Array(1 << 20).fill(7));
  setTimeout(() => console.log(`partial ${wakeQueue()}`), 200);
  setInterval(() => {}, 1000);
} else if (mode === 'hub') {
  const hub = await t.listen(url);
  const stop = (): void => { void hub.close().then(() => process.exit(0)); };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`ready ${wakeQueue()}`);
  for await (const c of hub) c.consume((f) => c.write(f));
} else if (mode === 'open-hub') {
  const hub = await t.listen(url, { allowOtherUsers: true, mode: 0o666 });
  const stop = (): void => { void hub.close().then(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  console.log('ready');
  for await (const c of hub) c.consume((f) => c.write(f));
} else if (mode === 'open-echo') {
  const c = await t.connect(url, { allowOtherUsers: true });
  await c.send(new TextEncoder().encode('hello'));
  const echo = await c[Symbol.asyncIterator]().next();
  console.log(`echo ${new TextDecoder().decode(echo.value as Uint8Array)}`);
  await c.close();
} else if (mode === 'hold') {
  const c = await t.connect(url) as SysvConnection;
  console.log(`connected ${wakeQueue()} ${c.txQueue} ${c.rxQueue}`);
  setInterval(() => {}, 1000);
} else if (mode === 'connecting') {
  const waker = acquireWaker(); // the one connect() uses: this process's wake queue
  console.log(`waking ${waker.queueId}`);
  await t.connect(url, { connectTimeout: 600_000 });
} else if (mode === 'cycle') {
  const hub = await t.listen(url);
  const c = await t.connect(url);
  const it = hub[Symbol.asyncIterator]();
  const server = (await it.next()).value!;
  await c.send(new Uint8Array([1, 2, 3]));
  const got = await server[Symbol.asyncIterator]().next();
  console.log(`got ${got.value?.length}`);
  await c.close();
  await hub.close();
  // No process.exit: the test checks that the process ends on its own.
} else if (mode === 'half-hub') {
  const address = parseSysvmqUrl(url);
  await acquireLiveness(address.livenessPath, url);
  const id = msgGetRaw(keyOf(address, true).key, IPC_CREAT | IPC_EXCL | 0o600);
  console.log(`made ${id}`);
  process.kill(process.pid, 'SIGKILL');
} else {
  throw new Error(`unknown mode ${mode}`);
}
