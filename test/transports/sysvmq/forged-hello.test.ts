/**
 * A forged HELLO in a sysvmq hub's rendezvous queue (anyone who may write to it: the hub's user,
 * or every user with `allowOtherUsers`) costs only that HELLO. Before: a pid the kernel cannot
 * take (0xFFFFFFFF is -1 to pidfd_open: EINVAL) threw out of the hub's accept, an uncaught
 * exception that ended the hub's process with the queue pair it had just made left in the kernel.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { IPC_CREAT, IPC_NOWAIT, IPC_PRIVATE, MsgBuffer, msgGetRaw, msgReceive, msgRemove, msgSend } from '../../../src/native/sysv-msg.js';
import { sysvmqTransport as t } from '../../../src/transports/sysvmq/sysvmq-transport.js';
import { reportsAdmission } from '../../../src/transports/capabilities.js';
import { encodeHello, HELLO_BYTES, RV_HELLO, Wake } from '../../../src/transports/sysvmq/wire.js';
import { until, within } from '../../helpers/watchdog.js';
import { rendezvousOf, sysvmqHarness } from './harness.js';

const h = sysvmqHarness('sysvmq-forged');
test.after(() => h.cleanup());

test('a HELLO with a pid no process can have is refused and reported; the hub serves on', async () => {
  const url = h.newUrl();
  const hub = await h.listen(url);
  const reports: Error[] = [];
  assert.ok(reportsAdmission(hub));
  hub.onAdmissionError((err) => reports.push(err));
  // Where the forger hears the hub's answer: a queue of its own, as a real client's wake queue.
  const answers = msgGetRaw(IPC_PRIVATE, IPC_CREAT | 0o600);
  try {
    const hello = encodeHello({ pid: 0xffffffff, uid: process.getuid!(), wakeQueue: answers, maxFrameSize: 1 << 20, endpoint: 1 });
    const msg = new MsgBuffer(HELLO_BYTES);
    msg.type = RV_HELLO;
    msg.text.set(hello);
    assert.is(msgSend(rendezvousOf(url), msg, HELLO_BYTES, IPC_NOWAIT), 0);
    // Real clients wake the hub after their HELLO; a forger need not: the hub's 1 s poll finds it.
    const answer = new MsgBuffer(256);
    let n = -1;
    await until('the hub answers the forged HELLO', () => (n = msgReceive(answers, answer, 0, IPC_NOWAIT)) > 0, 15_000);
    assert.is(answer.text[0], Wake.Reject, 'a REJECT, not a WELCOME');
    assert.match(Buffer.from(answer.text.subarray(1, n)).toString(), /could not admit client pid=4294967295/);
    await until('the refusal is reported', () => reports.length > 0, 10_000);
    // The hub still serves.
    const accepted = h.nextAccepted(hub);
    const c = await t.connect(url);
    await c.send(new Uint8Array([7]));
    const got = await within(10_000, 'a frame after the forgery', (await accepted)[Symbol.asyncIterator]().next());
    assert.equal([...got.value!], [7]);
    await c.close();
  } finally {
    msgRemove(answers);
  }
});

test.run();
